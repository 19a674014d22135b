//! Service discovery compatible with Curator's `curator-x-discovery`: [`ServiceDiscovery`]
//! registers [`ServiceInstance`]s, [`ServiceCache`] follows a service's instances as they
//! come and go.
//!
//! # Layout
//!
//! ```text
//! <base>/<service name>/<instance id>   ephemeral (DYNAMIC; PERMANENT/STATIC: persistent),
//!                                       data: the instance as Curator's JSON
//! ```
//!
//! ```json
//! {"name":"api","id":"6f1c…","address":"10.0.0.7","port":8080,"sslPort":null,
//!  "payload":null,"registrationTimeUTC":1700000000000,"serviceType":"DYNAMIC",
//!  "uriSpec":{"parts":[{"value":"scheme","variable":true},{"value":"://","variable":false}]},
//!  "enabled":true}
//! ```
//!
//! Java processes using Curator's `ServiceDiscovery` (`JsonInstanceSerializer`) see our
//! instances and we see theirs. The payload is kept as raw JSON ([`serde_json::Value`]):
//! Curator writes it with Jackson type information (`{"@class": …}`), which is preserved.
//!
//! # Algorithm and guarantees
//!
//! Each registration is a [`PersistentNode`]: the instance's node is re-created if deleted,
//! and on a new session if the session expires (Curator re-registers on reconnection the
//! same way). Consumers either query ([`ServiceDiscovery::instances`]: one getChildren plus
//! one pipelined round of getData) or keep a [`ServiceCache`] — a [`TreeCache`] on the
//! service's path — that is current within one notification and reports instances added,
//! updated and removed. An instance whose process dies disappears when its session expires
//! (the session timeout), not at once.
//!
//! Cost: a registration is 1 write (plus the parents once); a cache is one persistent
//! recursive watch and one read per change.
//!
//! ```no_run
//! use zk_recipes::{ServiceDiscovery, ServiceInstance};
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let discovery = ServiceDiscovery::new(&client, "/services");
//! let me = ServiceInstance::builder("api").address("10.0.0.7").port(8080).build();
//! discovery.register(&me).await?;
//!
//! let cache = discovery.service_cache("api").await?;
//! cache.initialized().await?;
//! for instance in cache.instances() {
//!     println!("{} at {:?}:{:?}", instance.id, instance.address, instance.port);
//! }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use zk_client::{Client, CreateMode, Error as ClientError};

use crate::error::{Error, Result};
use crate::names::{join, uuid_v4};
use crate::persistent_node::PersistentNode;
use crate::tree_cache::{TreeCache, TreeCacheEvents};

/// Curator's `ServiceType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServiceType {
    /// Registered while the process lives (an ephemeral node). The default.
    #[default]
    Dynamic,
    /// A sequential ephemeral node.
    DynamicSequential,
    /// Registered until unregistered (a persistent node).
    Static,
    /// Registered until unregistered (a persistent node).
    Permanent,
}

/// One part of a [`UriSpec`]: literal text or a `{variable}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UriPart {
    /// The text, or the variable's name.
    pub value: String,
    /// True for a variable.
    pub variable: bool,
}

/// Curator's `UriSpec`: a URI template such as `{scheme}://{address}:{port}/api`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct UriSpec {
    /// The template's parts in order.
    pub parts: Vec<UriPart>,
}

impl UriSpec {
    /// Parses a template: `{name}` is a variable, anything else literal.
    pub fn parse(template: &str) -> Self {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            if open > 0 {
                parts.push(UriPart {
                    value: rest[..open].to_owned(),
                    variable: false,
                });
            }
            parts.push(UriPart {
                value: rest[open + 1..open + close].to_owned(),
                variable: true,
            });
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(UriPart {
                value: rest.to_owned(),
                variable: false,
            });
        }
        UriSpec { parts }
    }

    /// Builds the URI for `instance`: the variables `scheme` (http or https), `name`, `id`,
    /// `address`, `port`, `ssl-port` and any in `extra`; unknown variables are left out.
    pub fn build(&self, instance: &ServiceInstance, extra: &BTreeMap<String, String>) -> String {
        let mut uri = String::new();
        for part in &self.parts {
            if !part.variable {
                uri.push_str(&part.value);
                continue;
            }
            let value = match part.value.as_str() {
                "scheme" => Some(
                    if instance.ssl_port.is_some() {
                        "https"
                    } else {
                        "http"
                    }
                    .to_owned(),
                ),
                "name" => Some(instance.name.clone()),
                "id" => Some(instance.id.clone()),
                "address" => instance.address.clone(),
                "port" => instance.port.map(|p| p.to_string()),
                "ssl-port" => instance.ssl_port.map(|p| p.to_string()),
                other => extra.get(other).cloned(),
            };
            uri.push_str(&value.unwrap_or_default());
        }
        uri
    }
}

/// Curator's `ServiceInstance`, field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceInstance {
    /// The service's name (the parent node's name).
    pub name: String,
    /// The instance's id (its node's name), unique within the service.
    pub id: String,
    /// Host name or IP address.
    pub address: Option<String>,
    /// Plain port.
    pub port: Option<i32>,
    /// TLS port.
    pub ssl_port: Option<i32>,
    /// Application data, as Curator's Jackson wrote it.
    pub payload: Option<serde_json::Value>,
    /// Registration time, ms since the epoch (UTC).
    #[serde(rename = "registrationTimeUTC")]
    pub registration_time_utc: i64,
    /// How long the registration lasts.
    pub service_type: ServiceType,
    /// URI template.
    pub uri_spec: Option<UriSpec>,
    /// False to keep the instance registered but out of rotation (CURATOR-275).
    #[serde(default = "enabled_default")]
    pub enabled: bool,
}

fn enabled_default() -> bool {
    true
}

impl ServiceInstance {
    /// A builder for an instance of `name`, with a random id, registered now, DYNAMIC.
    pub fn builder(name: &str) -> ServiceInstanceBuilder {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        ServiceInstanceBuilder(ServiceInstance {
            name: name.to_owned(),
            id: uuid_v4(),
            address: None,
            port: None,
            ssl_port: None,
            payload: None,
            registration_time_utc: now_ms,
            service_type: ServiceType::Dynamic,
            uri_spec: None,
            enabled: true,
        })
    }

    /// The instance as Curator's JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a ServiceInstance always serializes")
    }

    /// Reads Curator's JSON (unknown fields are ignored, as Curator does by default).
    pub fn from_json(path: &str, data: &[u8]) -> Result<Self> {
        serde_json::from_slice(data).map_err(|e| Error::BadData {
            path: path.to_owned(),
            reason: format!("not a Curator service instance: {e}"),
        })
    }
}

/// Builds a [`ServiceInstance`].
#[derive(Debug, Clone)]
pub struct ServiceInstanceBuilder(ServiceInstance);

impl ServiceInstanceBuilder {
    /// The instance id (default: a random uuid).
    pub fn id(mut self, id: &str) -> Self {
        self.0.id = id.to_owned();
        self
    }
    /// The address.
    pub fn address(mut self, address: &str) -> Self {
        self.0.address = Some(address.to_owned());
        self
    }
    /// The port.
    pub fn port(mut self, port: i32) -> Self {
        self.0.port = Some(port);
        self
    }
    /// The TLS port.
    pub fn ssl_port(mut self, port: i32) -> Self {
        self.0.ssl_port = Some(port);
        self
    }
    /// The payload.
    pub fn payload(mut self, payload: serde_json::Value) -> Self {
        self.0.payload = Some(payload);
        self
    }
    /// The service type.
    pub fn service_type(mut self, service_type: ServiceType) -> Self {
        self.0.service_type = service_type;
        self
    }
    /// The URI template (see [`UriSpec::parse`]).
    pub fn uri_spec(mut self, template: &str) -> Self {
        self.0.uri_spec = Some(UriSpec::parse(template));
        self
    }
    /// Whether the instance is in rotation.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.0.enabled = enabled;
        self
    }
    /// The instance.
    pub fn build(self) -> ServiceInstance {
        self.0
    }
}

/// Registers instances under a base path and queries them.
#[derive(Debug)]
pub struct ServiceDiscovery {
    client: Client,
    base: String,
    registered: Mutex<BTreeMap<String, PersistentNode>>,
}

impl ServiceDiscovery {
    /// Discovery under `base` (Curator's `basePath`, e.g. `/services`).
    pub fn new(client: &Client, base: &str) -> Self {
        ServiceDiscovery {
            client: client.clone(),
            base: base.to_owned(),
            registered: Mutex::new(BTreeMap::new()),
        }
    }

    fn instance_path(&self, name: &str, id: &str) -> String {
        join(&join(&self.base, name), id)
    }

    /// Registers `instance` and keeps it registered (see the module docs) until
    /// [`ServiceDiscovery::unregister`] or drop. Waits for the node to exist.
    pub async fn register(&self, instance: &ServiceInstance) -> Result<()> {
        let mode = match instance.service_type {
            ServiceType::Dynamic => CreateMode::Ephemeral,
            ServiceType::DynamicSequential => CreateMode::EphemeralSequential,
            ServiceType::Static | ServiceType::Permanent => CreateMode::Persistent,
        };
        let path = self.instance_path(&instance.name, &instance.id);
        let node = PersistentNode::start(&self.client, &path, &instance.to_json(), mode)?;
        node.wait_for_initial_create().await?;
        let previous = self.lock().insert(key(instance), node);
        if let Some(previous) = previous {
            drop(previous); // re-registration: the new node replaced it
        }
        Ok(())
    }

    /// Replaces a registered instance's data (e.g. `enabled`, payload).
    pub async fn update(&self, instance: &ServiceInstance) -> Result<()> {
        let data = instance.to_json();
        let node = self.lock().remove(&key(instance));
        match node {
            Some(node) => {
                let outcome = node.set_data(&data).await;
                self.lock().insert(key(instance), node);
                outcome
            }
            None => Err(Error::InvalidArgument(
                "update of an instance not registered here",
            )),
        }
    }

    /// Unregisters an instance registered here (deletes its node).
    pub async fn unregister(&self, instance: &ServiceInstance) -> Result<()> {
        let node = self.lock().remove(&key(instance));
        match node {
            Some(node) => node.close().await,
            None => Ok(()),
        }
    }

    /// The service names under the base path.
    pub async fn names(&self) -> Result<Vec<String>> {
        match self.client.get_children(&self.base).await {
            Ok(mut names) => {
                names.sort();
                Ok(names)
            }
            Err(ClientError::NoNode) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// The instances of service `name`, read now. Nodes that are not Curator JSON are
    /// skipped (with a warning).
    pub async fn instances(&self, name: &str) -> Result<Vec<ServiceInstance>> {
        let dir = join(&self.base, name);
        let mut ids = match self.client.get_children(&dir).await {
            Ok(ids) => ids,
            Err(ClientError::NoNode) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        ids.sort();
        let reads: Vec<_> = ids
            .iter()
            .map(|id| (join(&dir, id), self.client.get_data(&join(&dir, id))))
            .collect();
        let mut instances = Vec::new();
        for (path, read) in reads {
            match read.await {
                Ok((data, _)) => match ServiceInstance::from_json(&path, &data) {
                    Ok(instance) => instances.push(instance),
                    Err(e) => tracing::warn!(error = %e, "skipping a service node"),
                },
                Err(ClientError::NoNode) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(instances)
    }

    /// One instance of service `name`, if registered.
    pub async fn instance(&self, name: &str, id: &str) -> Result<Option<ServiceInstance>> {
        let path = self.instance_path(name, id);
        match self.client.get_data(&path).await {
            Ok((data, _)) => ServiceInstance::from_json(&path, &data).map(Some),
            Err(ClientError::NoNode) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A cache of service `name`'s instances, kept current by watches.
    pub async fn service_cache(&self, name: &str) -> Result<ServiceCache> {
        let dir = join(&self.base, name);
        let tree = TreeCache::start(&self.client, &dir).await?;
        Ok(ServiceCache { dir, tree })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, PersistentNode>> {
        self.registered.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn key(instance: &ServiceInstance) -> String {
    format!("{}/{}", instance.name, instance.id)
}

/// The instances of one service, kept current by a [`TreeCache`].
#[derive(Debug)]
pub struct ServiceCache {
    dir: String,
    tree: TreeCache,
}

impl ServiceCache {
    /// Waits for the initial load.
    pub async fn initialized(&self) -> Result<()> {
        self.tree.initialized().await
    }

    /// The instances now, by id (nodes that are not Curator JSON are skipped).
    pub fn instances(&self) -> Vec<ServiceInstance> {
        self.tree
            .children(&self.dir)
            .into_iter()
            .filter_map(|id| {
                let node = self.tree.get(&join(&self.dir, &id))?;
                ServiceInstance::from_json(&node.path, &node.data).ok()
            })
            .collect()
    }

    /// The changes of the underlying cache: instances' nodes added, updated and removed.
    pub fn events(&self) -> TreeCacheEvents {
        self.tree.events()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curator_json_round_trips_with_every_field() {
        // As written by Curator 5's JsonInstanceSerializer (payload with Jackson type info).
        let json = br#"{"name":"test","id":"d5b6d8f0-8f3a-4e4c-9a53-3f4b7a2e0c11","address":"10.20.30.40","port":1234,"sslPort":null,"payload":{"@class":"com.example.Details","weight":3},"registrationTimeUTC":1325129459728,"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"scheme","variable":true},{"value":"://foo.com:","variable":false},{"value":"port","variable":true}]},"enabled":true}"#;
        let instance = ServiceInstance::from_json("/x", json).unwrap();
        assert_eq!(instance.name, "test");
        assert_eq!(instance.port, Some(1234));
        assert_eq!(instance.ssl_port, None);
        assert_eq!(instance.registration_time_utc, 1_325_129_459_728);
        assert_eq!(instance.service_type, ServiceType::Dynamic);
        assert_eq!(instance.payload.as_ref().unwrap()["weight"], 3);
        let uri = instance
            .uri_spec
            .as_ref()
            .unwrap()
            .build(&instance, &BTreeMap::new());
        assert_eq!(uri, "http://foo.com:1234");
        let again: serde_json::Value = serde_json::from_slice(&instance.to_json()).unwrap();
        let original: serde_json::Value = serde_json::from_slice(json).unwrap();
        assert_eq!(again, original);
    }

    #[test]
    fn instances_without_enabled_default_to_enabled() {
        // Pre-CURATOR-275 writers (compatible serialization mode) omit `enabled`.
        let json = br#"{"name":"a","id":"1","address":null,"port":null,"sslPort":443,"payload":null,"registrationTimeUTC":0,"serviceType":"STATIC","uriSpec":null}"#;
        let instance = ServiceInstance::from_json("/x", json).unwrap();
        assert!(instance.enabled);
        assert_eq!(instance.service_type, ServiceType::Static);
        assert!(ServiceInstance::from_json("/x", b"{}").is_err());
    }

    #[test]
    fn uri_specs_parse_templates() {
        let spec = UriSpec::parse("{scheme}://{address}:{port}/v1");
        assert_eq!(spec.parts.len(), 6);
        let instance = ServiceInstance::builder("svc")
            .address("h")
            .port(80)
            .build();
        assert_eq!(spec.build(&instance, &BTreeMap::new()), "http://h:80/v1");
    }
}
