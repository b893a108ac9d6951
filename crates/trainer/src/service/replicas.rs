//! The predict-api replicas a promotion must reach. One name in `PREDICT_API_URLS` may stand
//! for many replicas (a Compose service with `replicas`, a Kubernetes headless Service): a
//! request to the name reaches one of them at random, so each of its addresses is checked.

use std::net::SocketAddr;

use reqwest::Url;

/// One replica to check: where to send `GET /model`, and how to name it in a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    /// Base URL of the replica (an address when the name had several).
    pub base: String,
    /// The configured URL, with the address when it was expanded.
    pub label: String,
}

/// The replicas behind each configured base URL, resolved now.
pub async fn resolve(bases: &[String]) -> Vec<Replica> {
    let mut replicas = Vec::new();
    for base in bases {
        let addrs = match Url::parse(base) {
            Ok(url) if url.scheme() == "http" => {
                match (url.host_str(), url.port_or_known_default()) {
                    (Some(host), Some(port)) => tokio::net::lookup_host((host, port))
                        .await
                        .map(|found| found.collect())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                }
            }
            // TLS needs the name; a URL that does not parse fails when it is requested.
            _ => Vec::new(),
        };
        replicas.extend(expand(base, &addrs));
    }
    replicas
}

/// `base` once per replica address: several when the name resolves to several, IPv4 first
/// (a dual-stack host is one replica, not two). Loopback names and single addresses stay as
/// they are (`localhost` resolves to 127.0.0.1 and ::1, one server).
pub fn expand(base: &str, addrs: &[SocketAddr]) -> Vec<Replica> {
    let as_is = || {
        vec![Replica {
            base: base.to_string(),
            label: base.to_string(),
        }]
    };
    let Ok(url) = Url::parse(base) else {
        return as_is();
    };
    let v4: Vec<&SocketAddr> = addrs.iter().filter(|a| a.is_ipv4()).collect();
    let mut chosen: Vec<&SocketAddr> = if v4.is_empty() {
        addrs.iter().collect()
    } else {
        v4
    };
    chosen.sort();
    chosen.dedup();
    if chosen.len() < 2 || chosen.iter().all(|a| a.ip().is_loopback()) {
        return as_is();
    }
    let path = url.path().trim_end_matches('/');
    chosen
        .into_iter()
        .map(|addr| Replica {
            base: format!("http://{addr}{path}"),
            label: format!("{base} ({addr})"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn a_name_with_several_addresses_is_one_replica_per_address() {
        let r = expand(
            "http://predict-api:8000",
            &addrs(&["10.0.0.7:8000", "10.0.0.5:8000", "10.0.0.7:8000"]),
        );
        let bases: Vec<&str> = r.iter().map(|r| r.base.as_str()).collect();
        assert_eq!(bases, ["http://10.0.0.5:8000", "http://10.0.0.7:8000"]);
        assert_eq!(r[0].label, "http://predict-api:8000 (10.0.0.5:8000)");
    }

    #[test]
    fn a_path_prefix_is_kept() {
        let r = expand(
            "http://api.internal:80/fraud/",
            &addrs(&["10.1.0.1:80", "10.1.0.2:80"]),
        );
        assert_eq!(r[1].base, "http://10.1.0.2:80/fraud");
    }

    #[test]
    fn ipv4_wins_over_ipv6_of_a_dual_stack_host() {
        let r = expand(
            "http://host:8000",
            &addrs(&["[fd00::1]:8000", "192.168.1.4:8000"]),
        );
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].base, "http://host:8000");
        let v6_only = expand(
            "http://host:8000",
            &addrs(&["[fd00::1]:8000", "[fd00::2]:8000"]),
        );
        assert_eq!(v6_only[1].base, "http://[fd00::2]:8000");
    }

    #[test]
    fn loopback_and_unresolved_names_stay_as_configured() {
        for found in [
            addrs(&["127.0.0.1:8000", "[::1]:8000"]),
            addrs(&["127.0.0.1:8000", "127.0.0.2:8000"]),
            vec![],
        ] {
            let r = expand("http://localhost:8000", &found);
            assert_eq!(r.len(), 1, "{found:?}");
            assert_eq!(r[0].base, "http://localhost:8000");
        }
    }

    #[tokio::test]
    async fn resolving_localhost_checks_it_once() {
        let r = resolve(&["http://localhost:8000".into(), "https://x.test".into()]).await;
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[1].base, "https://x.test");
    }
}
