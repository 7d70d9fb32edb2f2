//! Throughput of the codec's hot paths on realistic captured messages.
//!
//! Every iteration decodes a whole response with a fresh-state decoder and
//! the `()` sink, which is what the engine does per response when it only
//! counts bytes; encode reuses one output buffer, as a connection does.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use hornet_http1::{encode_request, Limits, Request, ResponseDecoder, Status};

/// nginx 1.24 serving a 13-byte static file: ~250 bytes of head.
const NGINX_200: &[u8] = b"HTTP/1.1 200 OK\r\n\
Server: nginx/1.24.0\r\n\
Date: Tue, 14 May 2024 09:12:44 GMT\r\n\
Content-Type: text/html\r\n\
Content-Length: 13\r\n\
Last-Modified: Mon, 13 May 2024 17:01:02 GMT\r\n\
Connection: keep-alive\r\n\
ETag: \"66424716-d\"\r\n\
Accept-Ranges: bytes\r\n\
\r\n\
Hello, world!";

/// A chunked response with an extension and a trailer.
const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\n\
Server: nginx/1.24.0\r\n\
Date: Tue, 14 May 2024 09:12:44 GMT\r\n\
Content-Type: application/json\r\n\
Transfer-Encoding: chunked\r\n\
Connection: keep-alive\r\n\
Trailer: Server-Timing\r\n\
\r\n\
19\r\n\
{\"id\":42,\"items\":[1,2,3],\r\n\
1c;part=2\r\n\
\"next\":null,\"ok\":true,\"n\":7}\r\n\
0\r\n\
Server-Timing: db;dur=53\r\n\
\r\n";

fn decode_one(dec: &mut ResponseDecoder, input: &[u8]) -> u64 {
    match dec.decode(black_box(input), &mut ()) {
        Ok(Status::Complete { response, .. }) => response.body_len,
        other => panic!("expected a complete response, got {other:?}"),
    }
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, input) in [("nginx_200", NGINX_200), ("chunked", CHUNKED)] {
        group.throughput(Throughput::Bytes(input.len() as u64));
        let mut dec = ResponseDecoder::new(Limits::default());
        group.bench_function(name, |b| b.iter(|| decode_one(&mut dec, input)));
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let headers = [
        ("User-Agent", "hornet/0.1"),
        ("Accept", "application/json"),
        ("Accept-Encoding", "identity"),
    ];
    let req = Request {
        method: "GET",
        target: "/api/v1/items?page=2&limit=50",
        host: "api.example.com:8080",
        headers: &headers,
        body: b"",
    };
    let mut out = Vec::with_capacity(512);
    let len = encode_request(&req, &mut out).expect("valid request");
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Bytes(len as u64));
    group.bench_function("get_3_headers", |b| {
        b.iter(|| {
            out.clear();
            encode_request(black_box(&req), &mut out)
        });
    });
    group.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
