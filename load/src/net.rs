//! Loopback-only connections. Each connection binds one of several 127.0.0.x source addresses,
//! so tens of thousands of sockets to one server port do not run out of ephemeral ports.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::{Context, bail};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub type Socket = WebSocketStream<TcpStream>;

/// Where the server listens, checked to be a loopback address.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// How many source addresses to spread connections over (127.0.0.2, 127.0.0.3, ...).
    pub source_addresses: u8,
}

impl Target {
    /// Parses `host:port`, `ws://host:port` or `http://host:port`; anything not on loopback is refused.
    pub fn parse(text: &str, source_addresses: u8) -> anyhow::Result<Self> {
        let bare = text.trim_start_matches("ws://").trim_start_matches("http://").trim_end_matches('/');
        let bare = bare.replace("localhost", "127.0.0.1");
        let addr: SocketAddr = bare.parse().with_context(|| format!("{text}: expected 127.0.0.1:PORT"))?;
        if !addr.ip().is_loopback() {
            bail!("{text}: load runs target loopback only");
        }
        Ok(Self { addr, source_addresses: source_addresses.clamp(1, 250) })
    }

    pub fn http_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The source address for connection number `i`.
    pub fn source_for(&self, i: usize) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (i % self.source_addresses as usize) as u8))
    }

    /// A TCP connection from the i-th source address, without Nagle's delay.
    pub async fn tcp(&self, i: usize) -> anyhow::Result<TcpStream> {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(self.source_for(i), 0))?;
        let stream = socket.connect(self.addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    /// A WebSocket to `path_and_query` (e.g. `/binfo?...`), with small buffers: the tool holds
    /// as many sockets as the server does.
    pub async fn websocket(&self, i: usize, path_and_query: &str) -> anyhow::Result<Socket> {
        let stream = self.tcp(i).await?;
        let url = format!("ws://{}{}", self.addr, path_and_query);
        let config = WebSocketConfig::default().read_buffer_size(8192).write_buffer_size(0);
        let (socket, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
        Ok(socket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_accepted() {
        assert!(Target::parse("ws://127.0.0.1:8080", 4).is_ok());
        assert!(Target::parse("localhost:8080", 4).is_ok());
        assert!(Target::parse("10.0.0.1:8080", 4).is_err());
        assert!(Target::parse("192.168.1.5:80", 4).is_err());
    }

    #[test]
    fn source_addresses_rotate() {
        let t = Target::parse("127.0.0.1:1", 3).unwrap();
        let ips: Vec<String> = (0..4).map(|i| t.source_for(i).to_string()).collect();
        assert_eq!(ips, ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.2"]);
    }
}
