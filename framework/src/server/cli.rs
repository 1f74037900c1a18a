//! The command line of `App::run`, as uvicorn's: where to listen
//! (`--host`/`--port`, `--uds`, `--fd`), logging and proxy headers, with
//! the environment variables uvicorn reads where it has them.

use std::path::PathBuf;

use crate::middleware::ProxyHeaders;

/// Where to listen.
#[derive(Debug, PartialEq)]
pub(crate) enum Bind {
    /// A TCP socket on `host:port`.
    Tcp { host: String, port: u16 },
    /// A Unix domain socket at this path (`--uds`).
    Unix(PathBuf),
    /// A socket inherited as this file descriptor (`--fd`).
    Fd(u32),
}

/// The command-line options `App::run` reads.
#[derive(Debug, PartialEq)]
pub(crate) struct Options {
    host: String,
    port: u16,
    uds: Option<PathBuf>,
    fd: Option<u32>,
    pub(crate) access_log: bool,
    pub(crate) log_level: String,
    /// `--proxy-headers` / `--no-proxy-headers`, when given.
    proxy_headers: Option<bool>,
    /// `--forwarded-allow-ips` or `FORWARDED_ALLOW_IPS`, when given.
    forwarded_allow_ips: Option<String>,
}

impl Options {
    /// Reads the flags, then the environment, then uvicorn's defaults.
    pub(crate) fn from_env(
        mut args: impl Iterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let mut options = Options {
            host: env("HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port: match env("PORT") {
                Some(port) => port
                    .parse()
                    .map_err(|_| format!("PORT={port} is not a port"))?,
                None => 8000,
            },
            uds: None,
            fd: None,
            access_log: true,
            log_level: "info".into(),
            proxy_headers: None,
            forwarded_allow_ips: env("FORWARDED_ALLOW_IPS"),
        };
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg, None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match flag.as_str() {
                "--host" => options.host = value("--host")?,
                "--port" => {
                    let port = value("--port")?;
                    options.port = port
                        .parse()
                        .map_err(|_| format!("--port {port} is not a port"))?;
                }
                "--uds" => options.uds = Some(value("--uds")?.into()),
                "--fd" => {
                    let fd = value("--fd")?;
                    options.fd = Some(
                        fd.parse()
                            .map_err(|_| format!("--fd {fd} is not a file descriptor number"))?,
                    );
                }
                "--log-level" => options.log_level = value("--log-level")?,
                "--no-access-log" => options.access_log = false,
                "--proxy-headers" => options.proxy_headers = Some(true),
                "--no-proxy-headers" => options.proxy_headers = Some(false),
                "--forwarded-allow-ips" => {
                    options.forwarded_allow_ips = Some(value("--forwarded-allow-ips")?);
                }
                _ => {}
            }
        }
        Ok(options)
    }

    /// Where to listen: uvicorn's order, `--uds`, then `--fd`, then host and port.
    pub(crate) fn bind(&self) -> Bind {
        match (&self.uds, self.fd) {
            (Some(path), _) => Bind::Unix(path.clone()),
            (None, Some(fd)) => Bind::Fd(fd),
            (None, None) => Bind::Tcp {
                host: self.host.clone(),
                port: self.port,
            },
        }
    }

    /// The proxy flags given override what the app set in code.
    pub(crate) fn apply_proxy_headers(&self, proxy_headers: &mut ProxyHeaders) {
        let mut changed = proxy_headers.clone();
        if let Some(enabled) = self.proxy_headers {
            changed = changed.enabled(enabled);
        }
        if let Some(hosts) = &self.forwarded_allow_ips {
            changed = changed.trust(hosts);
        }
        *proxy_headers = changed;
    }
}

#[cfg(test)]
mod tests {
    use super::{Bind, Options, ProxyHeaders};

    #[test]
    fn the_listener_is_a_unix_socket_then_a_descriptor_then_host_and_port() {
        let tcp = Bind::Tcp {
            host: "127.0.0.1".into(),
            port: 8000,
        };
        assert_eq!(parse(&[], &[]).unwrap().bind(), tcp);
        assert_eq!(parse(&["--fd", "3"], &[]).unwrap().bind(), Bind::Fd(3));
        assert_eq!(
            parse(&["--fd", "3", "--uds", "/tmp/a.sock"], &[])
                .unwrap()
                .bind(),
            Bind::Unix("/tmp/a.sock".into())
        );
        assert!(parse(&["--fd", "x"], &[]).is_err());
    }

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Options, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Options::from_env(args.iter().map(|a| a.to_string()), |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn options_come_from_flags_then_environment_then_defaults() {
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str, u16);
        let cases: &[Case<'_>] = &[
            (&[], &[], "127.0.0.1", 8000),
            (
                &[],
                &[("HOST", "0.0.0.0"), ("PORT", "9000")],
                "0.0.0.0",
                9000,
            ),
            (&["--port", "7000"], &[("PORT", "9000")], "127.0.0.1", 7000),
            (&["--host=::1", "--port=0"], &[], "::1", 0),
        ];
        for (args, env, host, port) in cases {
            let options = parse(args, env).unwrap();
            assert_eq!(
                (options.host.as_str(), options.port),
                (*host, *port),
                "{args:?} {env:?}"
            );
        }
    }

    #[test]
    fn bad_ports_are_errors() {
        assert!(parse(&["--port", "http"], &[]).is_err());
        assert!(parse(&[], &[("PORT", "70000")]).is_err());
        assert!(parse(&["--port"], &[]).is_err());
    }

    #[test]
    fn proxy_flags_override_the_app_as_uvicorn_reads_them() {
        let default = ProxyHeaders::new();
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], ProxyHeaders);
        let cases: &[Case<'_>] = &[
            (&[], &[], default.clone()),
            (&["--no-proxy-headers"], &[], default.clone().enabled(false)),
            (
                &["--no-proxy-headers", "--proxy-headers"],
                &[],
                default.clone(),
            ),
            (
                &["--forwarded-allow-ips", "10.0.0.0/8"],
                &[],
                default.clone().trust("10.0.0.0/8"),
            ),
            (
                &["--forwarded-allow-ips=*"],
                &[],
                default.clone().trust("*"),
            ),
            (
                &[],
                &[("FORWARDED_ALLOW_IPS", "10.1.2.3")],
                default.clone().trust("10.1.2.3"),
            ),
            (
                &["--forwarded-allow-ips", "192.168.0.1"],
                &[("FORWARDED_ALLOW_IPS", "10.1.2.3")],
                default.clone().trust("192.168.0.1"),
            ),
        ];
        for (args, env, expected) in cases {
            let mut proxy_headers = ProxyHeaders::new();
            parse(args, env)
                .unwrap()
                .apply_proxy_headers(&mut proxy_headers);
            assert_eq!(proxy_headers, *expected, "{args:?} {env:?}");
        }
        // Flags not given leave what the app set in code.
        let mut set_in_code = ProxyHeaders::disabled().trust("10.0.0.1");
        parse(&[], &[])
            .unwrap()
            .apply_proxy_headers(&mut set_in_code);
        assert_eq!(set_in_code, ProxyHeaders::disabled().trust("10.0.0.1"));
        assert!(parse(&["--forwarded-allow-ips"], &[]).is_err());
    }

    #[test]
    fn access_log_can_be_turned_off() {
        assert!(!parse(&["--no-access-log"], &[]).unwrap().access_log);
    }
}
