//! Keys we do not honour: keys that only mean something to the JVM, features not supported,
//! and keys nobody knows. Each gets one warning and is otherwise ignored.

use super::keys::suggest;

/// Settings of keys we do not honour: JVM-only keys, features not implemented, unknown keys.
/// Returns the warning to give, or `None` to accept silently.
pub(super) fn unsupported(key: &str, value: &str) -> Option<String> {
    const TLS: &str = "TLS is not supported yet; ignored";
    const SASL: &str = "SASL, Kerberos and X.509 authentication are not supported; ignored";
    let reason = match key {
        "serverCnxnFactory" => {
            "names a Java connection factory class; this server has its own network layer; ignored"
        }
        "sslQuorum"
        | "sslQuorumReloadCertFiles"
        | "portUnification"
        | "client.portUnification"
        | "client.secure" => TLS,
        k if k.starts_with("ssl.")
            || k.starts_with("netty.")
            || k.starts_with("client.certReload") =>
        {
            TLS
        }
        "sessionRequireClientSASLAuth" | "superUser" | "allowSaslFailedClients" => SASL,
        k if k.starts_with("quorum.auth.")
            || k.starts_with("enforce.auth.")
            || k.starts_with("kerberos.") =>
        {
            SASL
        }
        k if k.starts_with("X509AuthenticationProvider.") || k.starts_with("sasl.") => SASL,
        k if k.starts_with("authProvider.") => return auth_provider(value),
        k if k.starts_with("jvm.pause.") => {
            "configures the JVM pause monitor; there is no JVM; ignored"
        }
        "quorum.cnxn.threads.size" => "sizes a Java thread pool; ignored",
        "oraclePath" => "oracle quorums are not supported; ignored",
        "multiAddress.reachabilityCheckEnabled" | "multiAddress.reachabilityCheckTimeoutMs" => {
            "multi-address reachability checks are not implemented; ignored"
        }
        _ => return Some(unknown(key)),
    };
    Some(reason.to_owned())
}

fn auth_provider(class: &str) -> Option<String> {
    // digest and ip are built in, so naming them is redundant but harmless.
    const BUILT_IN: [&str; 2] = [
        "org.apache.zookeeper.server.auth.DigestAuthenticationProvider",
        "org.apache.zookeeper.server.auth.IPAuthenticationProvider",
    ];
    if BUILT_IN.contains(&class) {
        return None;
    }
    Some(format!(
        "authentication provider {class} is a Java class; only the built-in digest and ip schemes are \
         supported, so clients using its scheme will get AUTHFAILED; ignored"
    ))
}

fn unknown(key: &str) -> String {
    let hint = suggest(key)
        .map(|k| format!(" (did you mean {k}? keys are case-sensitive)"))
        .unwrap_or_default();
    format!(
        "not a key this server uses; ignored{hint}. Apache ZooKeeper would have set the system property zookeeper.{key}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_get_a_case_hint() {
        let msg = unsupported("ticktime", "2000").unwrap();
        assert!(msg.contains("did you mean tickTime?"), "{msg}");
        assert!(msg.contains("zookeeper.ticktime"), "{msg}");
    }

    #[test]
    fn built_in_auth_providers_are_accepted_silently() {
        assert_eq!(
            unsupported(
                "authProvider.1",
                "org.apache.zookeeper.server.auth.DigestAuthenticationProvider"
            ),
            None
        );
        let msg = unsupported(
            "authProvider.2",
            "org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
        )
        .unwrap();
        assert!(msg.contains("AUTHFAILED"), "{msg}");
    }
}
