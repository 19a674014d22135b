//! [`Proxy`]: a loopback TCP proxy in front of a server, so a test can cut one client off while
//! the server and other clients carry on.
//!
//! - [`Proxy::cut`]: drops every proxied connection and refuses new ones (accept, then close).
//! - [`Proxy::blackhole`]: keeps connections but discards the server's replies, so a request
//!   stays in flight for as long as the test wants.
//! - [`Proxy::restore`]: back to forwarding.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A proxy on `127.0.0.1:<port>` forwarding to `127.0.0.1:<target>`, running on the test's
/// runtime (it stops with the test).
pub struct Proxy {
    port: u16,
    state: Arc<State>,
    accept: AbortHandle,
}

#[derive(Default)]
struct State {
    open: AtomicBool,
    blackhole: AtomicBool,
    connections: Mutex<Vec<AbortHandle>>,
}

impl Proxy {
    /// Starts forwarding to `target_port`.
    pub async fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        state.open.store(true, Ordering::SeqCst);
        let accept_state = state.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if !accept_state.open.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let state = accept_state.clone();
                let task = tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)).await {
                        forward(client, server, state).await;
                    }
                });
                accept_state
                    .connections
                    .lock()
                    .unwrap()
                    .push(task.abort_handle());
            }
        })
        .abort_handle();
        Proxy {
            port,
            state,
            accept,
        }
    }

    /// `127.0.0.1:port` of the proxy.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Drops every connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.state.open.store(false, Ordering::SeqCst);
        for task in self.state.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Discards everything the server sends, on current and new connections.
    pub fn blackhole(&self) {
        self.state.blackhole.store(true, Ordering::SeqCst);
    }

    /// Forwards again.
    pub fn restore(&self) {
        self.state.blackhole.store(false, Ordering::SeqCst);
        self.state.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

async fn forward(client: TcpStream, server: TcpStream, state: Arc<State>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if server_write.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    let downstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if state.blackhole.load(Ordering::SeqCst) {
                        continue;
                    }
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    // Either side closing closes both, as a real network path would.
    tokio::select! {
        () = upstream => {}
        () = downstream => {}
    }
}
