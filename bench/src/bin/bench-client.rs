//! A small HTTP/1.1 keep-alive client that sends an exact number of
//! requests, one at a time, round-robin over a few connections, and checks
//! each answer. What `bench/callgrind.sh` drives the servers with to count
//! their instructions per request (a load generator runs by time, not by
//! count).
//!
//! `bench-client --port N --endpoint NAME [--requests R] [--connections C]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

fn main() {
    let mut port = 8000u16;
    let mut name = "plaintext".to_owned();
    let mut requests = 1000u64;
    let mut connections = 4usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => port = value().parse().expect("--port takes a number"),
            "--endpoint" => name = value(),
            "--requests" => requests = value().parse().expect("--requests takes a number"),
            "--connections" => connections = value().parse().expect("--connections takes a number"),
            other => panic!("unknown argument {other}"),
        }
    }
    let endpoint = bench::endpoint(&name).unwrap_or_else(|| panic!("unknown endpoint {name}"));
    let mut raw = format!(
        "{} {} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n",
        endpoint.method, endpoint.uri
    );
    if let Some(body) = endpoint.body {
        raw.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        raw.push_str("\r\n");
    }
    let mut streams: Vec<BufReader<TcpStream>> = (0..connections.max(1))
        .map(|_| {
            let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            BufReader::new(stream)
        })
        .collect();
    let count = streams.len();
    for i in 0..requests {
        let stream = &mut streams[(i as usize) % count];
        stream.get_mut().write_all(raw.as_bytes()).expect("send");
        let (status, body) = read_response(stream);
        if status != 200 || body != endpoint.expected.as_bytes() {
            eprintln!(
                "request {i}: status {status}, body {:?}",
                String::from_utf8_lossy(&body)
            );
            std::process::exit(1);
        }
    }
}

/// Reads one response: its status and whole body (content-length or chunked).
fn read_response(stream: &mut BufReader<TcpStream>) -> (u16, Vec<u8>) {
    let mut line = String::new();
    stream.read_line(&mut line).expect("status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = None;
    let mut chunked = false;
    loop {
        line.clear();
        stream.read_line(&mut line).expect("header");
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            stream.read_line(&mut line).expect("chunk size");
            let size = usize::from_str_radix(line.trim(), 16).expect("chunk size");
            let mut chunk = vec![0; size + 2];
            stream.read_exact(&mut chunk).expect("chunk");
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length.unwrap_or(0), 0);
        stream.read_exact(&mut body).expect("body");
    }
    (status, body)
}
