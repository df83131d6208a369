//! Test support: a local OTLP/HTTP receiver for tests that run a binary with `OTLP_ENDPOINT`.
//!
//! It listens on `127.0.0.1:<free port>`, answers `POST /v1/traces` (protobuf, what
//! [`crate::telemetry`] exports) over HTTP/1.1 keep-alive connections, and keeps every span
//! it receives, with its service, name and ids, for assertions on names and parent links.

use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One received span, its ids in hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSpan {
    /// The `service.name` of the exporting process.
    pub service: String,
    /// The span's name.
    pub name: String,
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits.
    pub span_id: String,
    /// The parent's span id; empty for a root span.
    pub parent: String,
}

/// A receiver; it stops when dropped.
#[derive(Debug)]
pub struct OtlpReceiver {
    /// The base URL to give as `OTLP_ENDPOINT` (`http://127.0.0.1:<port>`).
    pub url: String,
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OtlpReceiver {
    /// Starts listening. Panics (test support) if no loopback port can be bound.
    pub async fn start() -> OtlpReceiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("cannot bind the OTLP receiver: {e}"));
        let url = match listener.local_addr() {
            Ok(a) => format!("http://{a}"),
            Err(e) => panic!("OTLP receiver address: {e}"),
        };
        let spans = Arc::new(Mutex::new(Vec::new()));
        let sink = spans.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, sink.clone()));
            }
        });
        OtlpReceiver { url, spans, task }
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.spans.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The ancestors of `span` among `spans`, nearest first.
    pub fn ancestors<'a>(spans: &'a [ReceivedSpan], span: &ReceivedSpan) -> Vec<&'a ReceivedSpan> {
        let mut out = Vec::new();
        let mut parent = span.parent.clone();
        while let Some(p) = spans
            .iter()
            .find(|s| !parent.is_empty() && s.span_id == parent && s.trace_id == span.trace_id)
        {
            out.push(p);
            parent = p.parent.clone();
        }
        out
    }
}

/// Answers the requests of one connection until the client closes it.
async fn serve(stream: TcpStream, spans: Arc<Mutex<Vec<ReceivedSpan>>>) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if read.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        if read.read_exact(&mut body).await.is_err() {
            return;
        }
        let ok = request_line.starts_with("POST /v1/traces ") && record(&body, &spans);
        let payload = if ok {
            ExportTraceServiceResponse::default().encode_to_vec()
        } else {
            Vec::new()
        };
        let status = if ok { "200 OK" } else { "400 Bad Request" };
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\n\r\n",
            payload.len()
        );
        if write.write_all(head.as_bytes()).await.is_err()
            || write.write_all(&payload).await.is_err()
        {
            return;
        }
    }
}

/// Decodes one export request into `spans`; false if it is not one.
fn record(body: &[u8], spans: &Mutex<Vec<ReceivedSpan>>) -> bool {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return false;
    };
    let mut out = spans.lock().unwrap_or_else(|p| p.into_inner());
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
            .map(|v| match v {
                AnyValue::StringValue(s) => s.clone(),
                other => format!("{other:?}"),
            })
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                out.push(ReceivedSpan {
                    service: service.clone(),
                    name: span.name,
                    trace_id: hex::encode(span.trace_id),
                    span_id: hex::encode(span.span_id),
                    parent: hex::encode(span.parent_span_id),
                });
            }
        }
    }
    true
}
