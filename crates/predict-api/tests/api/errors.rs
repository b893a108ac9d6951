//! Every error answers with its status and `{"error": {"code", "message"}}`; no user input
//! gets a 500.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    assert_error, assert_retry_after, json_with_status, spawn_app, spawn_app_with, Start,
    ADMIN_TOKEN,
};

const JSON: &str = "application/json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_wrongly_typed_requests_get_precise_errors() {
    let app = spawn_app().await;

    // Syntax errors are 400.
    for body in ["{\"text\": ", "not json", "{\"text\": \"a\"} trailing", ""] {
        let response = app.post_raw("/predict", JSON, body.to_string()).await;
        assert_error(response, 400, "malformed_json").await;
    }
    let response = app.post_raw("/feedback", JSON, "{label: fraud}").await;
    assert_error(response, 400, "malformed_json").await;
    // ...even when something earlier in the body is also of the wrong shape.
    for (path, body) in [
        ("/predict", "5 this is not json"),
        ("/predict", "{\"id\": \"a\"} xx"),
        ("/predict", "{\"foo\": 1, garbage"),
        ("/predict", "[\"pay the fee\", oops]"),
        ("/feedback", "{\"text\": \"a\"}  {"),
        ("/predict/batch", "{\"x\": 1,,,"),
    ] {
        let response = app.post_raw(path, JSON, body).await;
        assert_error(response, 400, "malformed_json").await;
    }
    // ...and when only a strict parser sees it: invalid UTF-8 inside a string, a number out of
    // range, nesting deeper than 128 levels (once answered 422 `invalid_request`). Inside a
    // batch item, a number out of range is that item's `invalid_item`, like any bad item.
    let deep = format!(
        "{{\"text\": \"a\", \"meta\": {}1{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    for (path, body) in [
        ("/predict", b"{\"text\": \"pay \xff now\"}".to_vec()),
        (
            "/predict",
            b"{\"text\": \"a\", \"meta\": {\"k\": 1e400}}".to_vec(),
        ),
        ("/predict", deep.clone().into_bytes()),
        (
            "/feedback",
            b"{\"text\": \"\xc3\", \"label\": \"fraud\"}".to_vec(),
        ),
        ("/feedback", b"{\"text\": \"a\", \"label\": 1e400}".to_vec()),
        (
            "/predict/batch",
            b"{\"items\": [{\"text\": \"\xff\"}]}".to_vec(),
        ),
    ] {
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(60)
            .collect::<String>();
        let response = app.post_raw(path, JSON, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status == 400 && text.contains("\"malformed_json\""),
            "{path} {shown}: {status} {text}"
        );
    }

    // Not JSON at all is 415, with or without a content type.
    let response = app
        .post_raw("/predict", "text/plain", "{\"text\": \"hello\"}")
        .await;
    assert_error(response, 415, "unsupported_media_type").await;
    let response = app
        .client
        .post(app.url("/predict"))
        .body("{\"text\": \"hello\"}")
        .send()
        .await
        .unwrap();
    assert_error(response, 415, "unsupported_media_type").await;
    let response = app
        .post_raw(
            "/feedback",
            "application/x-www-form-urlencoded",
            "label=fraud",
        )
        .await;
    assert_error(response, 415, "unsupported_media_type").await;
    let response = app
        .post_raw("/predict/batch", "text/plain", "text\nhello\n")
        .await;
    assert_error(response, 415, "unsupported_media_type").await;
    // A +json media type is JSON.
    let response = app
        .post_raw(
            "/predict",
            "application/vnd.api+json; charset=utf-8",
            "{\"text\": \"hello\"}",
        )
        .await;
    json_with_status(response, 200).await;

    // Well-formed JSON of the wrong shape is 422.
    for body in [
        json!({"text": 42}),
        json!({"text": ["a"]}),
        json!({"text": null}),
        json!({}),
        json!([]),
        json!("just a string"),
        json!({"text": "hello", "unknown_field": 1}),
        json!({"text": "hello", "id": 7}),
    ] {
        let response = app.post_json("/predict", &body).await;
        assert_error(response, 422, "invalid_request").await;
    }
    // serde would fill the request from an array, by position: only an object is accepted.
    for (path, body) in [
        (
            "/predict",
            json!(["pay the customs fee now", "my-id", "sms", {"k": 1}]),
        ),
        ("/predict", json!(["pay", "a", "b", {}, 5])),
        ("/predict", json!(["pay the customs fee now"])),
        (
            "/feedback",
            json!([null, "hello from array", "fraud", "agent", "c"]),
        ),
        ("/predict/batch", json!([[["pay the fee"]]])),
        ("/predict/batch", json!(7)),
    ] {
        let response = app.post_json(path, &body).await;
        let headers = assert_error(response, 422, "invalid_request").await;
        assert!(headers.contains_key("content-type"), "{path} {body}");
    }
    // The same holds per item of a batch; the object items are still scored.
    let batch = json_with_status(
        app.post_json(
            "/predict/batch",
            &json!({"items": [["pay the fee"], {"text": "pay the fee"}, "pay", {"text": "hi", "meta": [1]}]}),
        )
        .await,
        200,
    )
    .await;
    let codes: Vec<_> = (0..4)
        .map(|i| batch["results"][i]["error"]["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            Some("invalid_item"),
            None,
            Some("invalid_item"),
            Some("invalid_meta")
        ],
        "{batch}"
    );
    assert!(batch["results"][1]["risk_score"].is_number(), "{batch}");

    // meta is an object (or absent, or null), as documented.
    for meta in [json!([null, null]), json!("s"), json!(1), json!(true)] {
        let response = app
            .post_json("/predict", &json!({"text": "hello", "meta": meta}))
            .await;
        assert_error(response, 422, "invalid_meta").await;
    }
    for meta in [json!(null), json!({"k": [1, {"x": null}]})] {
        let response = app
            .post_json("/predict", &json!({"text": "hello", "meta": meta}))
            .await;
        json_with_status(response, 200).await;
    }

    // A body must be sent as it is: a compressed one would be scored as bytes of garbage.
    for encoding in ["gzip", "br", "GZIP, identity", "identity", " Identity "] {
        let response = app
            .client
            .post(app.url("/predict"))
            .header("content-type", JSON)
            .header("content-encoding", encoding)
            .body("{\"text\": \"hello\"}")
            .send()
            .await
            .unwrap();
        if encoding.trim().eq_ignore_ascii_case("identity") {
            json_with_status(response, 200).await;
        } else {
            assert_error(response, 415, "unsupported_encoding").await;
        }
    }
    // CSV is exactly text/csv, with parameters, not anything starting with it.
    let response = app
        .post_raw("/predict/batch", "text/csvx", "text\nhello\n")
        .await;
    assert_error(response, 415, "unsupported_media_type").await;
    let response = app
        .post_raw(
            "/predict/batch",
            " Text/CSV ; header=present",
            "text\nhello\n",
        )
        .await;
    json_with_status(response, 200).await;
    let response = app
        .post_json(
            "/feedback",
            &json!({"text": "x", "label": "fraud", "colour": "red"}),
        )
        .await;
    assert_error(response, 422, "invalid_request").await;
    let response = app
        .post_json("/predict/batch", &json!({"items": "not a list"}))
        .await;
    assert_error(response, 422, "invalid_request").await;

    // Blank, whitespace and invisible texts.
    for text in [
        "",
        " ",
        "\n\t  \r\n",
        "\u{3000}\u{a0}",
        "\u{0}",
        "\u{200b}",
        "\u{feff}\u{0}\u{200d} \u{2060}",
    ] {
        let response = app.post_json("/predict", &json!({"text": text})).await;
        assert_error(response, 422, "empty_text").await;
    }
    for text in ["   ", "\u{200b}\u{200c}"] {
        let response = app
            .post_json("/feedback", &json!({"text": text, "label": "fraud"}))
            .await;
        assert_error(response, 422, "empty_text").await;
    }
    // One visible character is a message, whatever surrounds it.
    let response = app
        .post_json("/predict", &json!({"text": "\u{200b}\u{0}a\u{feff}"}))
        .await;
    json_with_status(response, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_are_enforced_with_413_and_422() {
    let app = spawn_app_with(Start::WithModel, |s| {
        s.max_body_bytes = 2048;
        s.max_text_chars = 50;
        // Longer than the wait below: only a refusal from the headers answers within it.
        s.request_timeout_ms = 120_000;
    })
    .await;

    // A declared length over the limit is refused at once, before any of the body is sent
    // (reading up to the limit first would wait here for bytes that never come).
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(
            b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
              Content-Length: 99999999999\r\n\r\n",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    // The 413 closes the connection, which ends the read.
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer))
        .await
        .expect("no answer before any of the body was sent")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"payload_too_large\""), "{answer}");

    let response = app
        .post_json("/predict", &json!({"text": "x".repeat(10_000)}))
        .await;
    assert_error(response, 413, "payload_too_large").await;
    let response = app
        .post_json(
            "/predict/batch",
            &json!({"items": vec![json!({"text": "hello there"}); 200]}),
        )
        .await;
    assert_error(response, 413, "payload_too_large").await;
    let response = app
        .post_json(
            "/feedback",
            &json!({"text": "y".repeat(5000), "label": "fraud"}),
        )
        .await;
    assert_error(response, 413, "payload_too_large").await;

    // Within the body limit but over the text limit (counted in characters, not bytes).
    let response = app
        .post_json("/predict", &json!({"text": "a".repeat(51)}))
        .await;
    assert_error(response, 422, "text_too_long").await;
    let response = app
        .post_json("/predict", &json!({"text": "诈".repeat(51)}))
        .await;
    assert_error(response, 422, "text_too_long").await;
    let exactly = app
        .post_json("/predict", &json!({"text": "诈".repeat(50)}))
        .await;
    json_with_status(exactly, 200).await;
    let response = app
        .post_json(
            "/feedback",
            &json!({"text": "b".repeat(60), "label": "legit"}),
        )
        .await;
    assert_error(response, 422, "text_too_long").await;
    // In a batch, only the long item fails.
    let batch = json_with_status(
        app.post_json(
            "/predict/batch",
            &json!({"items": [{"text": "c".repeat(60)}, {"text": "hello"}]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        batch["results"][0]["error"]["code"], "text_too_long",
        "{batch}"
    );
    assert_eq!(
        (batch["succeeded"].as_u64(), batch["failed"].as_u64()),
        (Some(1), Some(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_and_admin_errors() {
    let app = spawn_app().await;

    for label in ["maybe", "", "FRAUDULENT", "2"] {
        let response = app
            .post_json("/feedback", &json!({"text": "hello", "label": label}))
            .await;
        assert_error(response, 422, "invalid_label").await;
    }
    let response = app
        .post_json(
            "/feedback",
            &json!({"text": "hello", "label": "fraud", "source": "robot"}),
        )
        .await;
    assert_error(response, 422, "invalid_source").await;
    let response = app.post_json("/feedback", &json!({"label": "fraud"})).await;
    assert_error(response, 422, "missing_target").await;
    // A text next to a prediction id would be silently replaced by the prediction's.
    let prediction = json_with_status(
        app.post_json("/predict", &json!({"text": "pay the customs fee now"}))
            .await,
        200,
    )
    .await;
    let response = app
        .post_json(
            "/feedback",
            &json!({"prediction_id": prediction["prediction_id"], "text": "another text", "label": "fraud"}),
        )
        .await;
    assert_error(response, 422, "conflicting_target").await;
    let response = app
        .post_json(
            "/feedback",
            &json!({"prediction_id": prediction["prediction_id"], "text": null, "label": "fraud"}),
        )
        .await;
    json_with_status(response, 201).await;
    let response = app
        .post_json(
            "/feedback",
            &json!({"prediction_id": "0190c0de-0000-7000-8000-000000000000", "label": "fraud"}),
        )
        .await;
    assert_error(response, 404, "unknown_prediction").await;
    let response = app
        .post_json("/feedback", &json!({"prediction_id": "", "label": "legit"}))
        .await;
    assert_error(response, 404, "unknown_prediction").await;
    let response = app
        .post_json(
            "/feedback",
            &json!({"prediction_id": "x", "label": "fraud"}),
        )
        .await;
    assert_error(response, 404, "unknown_prediction").await;

    for (method, path) in [
        ("POST", "/admin/reload"),
        ("GET", "/admin/export/prod_data.csv"),
    ] {
        let request = |token: Option<&str>| {
            let builder = match method {
                "POST" => app.client.post(app.url(path)),
                _ => app.client.get(app.url(path)),
            };
            match token {
                Some(t) => builder.header(reqwest::header::AUTHORIZATION, t),
                None => builder,
            }
        };
        assert_error(request(None).send().await.unwrap(), 401, "missing_token").await;
        assert_error(
            request(Some("Basic dGVzdDp0ZXN0")).send().await.unwrap(),
            401,
            "missing_token",
        )
        .await;
        assert_error(
            request(Some("Bearer wrong-admin-token"))
                .send()
                .await
                .unwrap(),
            401,
            "invalid_token",
        )
        .await;
        assert_error(
            request(Some("Bearer test-admin-toke"))
                .send()
                .await
                .unwrap(),
            401,
            "invalid_token",
        )
        .await;
        let ok = request(Some(&format!("Bearer {ADMIN_TOKEN}")))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "{path} with the right token");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_scoring_is_unavailable_with_retry_after() {
    let app = spawn_app_with(Start::Empty, |_| {}).await;

    let headers = assert_error(
        app.post_json("/predict", &json!({"text": "hello"})).await,
        503,
        "no_model",
    )
    .await;
    assert_retry_after(&headers);
    let headers = assert_error(app.get("/ready").await, 503, "no_model").await;
    assert_retry_after(&headers);
    let headers = assert_error(app.get("/model").await, 503, "no_model").await;
    assert_retry_after(&headers);
    let headers = assert_error(
        app.post_json("/predict/batch", &json!({"items": [{"text": "hello"}]}))
            .await,
        503,
        "no_model",
    )
    .await;
    assert_retry_after(&headers);
    // Input errors are still reported as such.
    assert_error(
        app.post_json("/predict", &json!({"text": " "})).await,
        422,
        "empty_text",
    )
    .await;
    // Liveness does not depend on a model.
    json_with_status(app.get("/health").await, 200).await;
    // Nothing to reload yet.
    let response = app
        .client
        .post(app.url("/admin/reload"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_error(response, 409, "no_production_model").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_wrong_methods_answer_json() {
    let app = spawn_app().await;
    for path in [
        "/nope",
        "/predict/",
        "/predict/batch/x",
        "/admin",
        "/admin/export/other.csv",
        "/%FF",
    ] {
        assert_error(app.get(path).await, 404, "not_found").await;
    }
    assert_error(
        app.post_json("/nope", &json!({"text": "x"})).await,
        404,
        "not_found",
    )
    .await;

    for (method, path) in [
        (reqwest::Method::GET, "/predict"),
        (reqwest::Method::GET, "/predict/batch"),
        (reqwest::Method::GET, "/feedback"),
        (reqwest::Method::PUT, "/predict"),
        (reqwest::Method::DELETE, "/feedback"),
        (reqwest::Method::POST, "/health"),
        (reqwest::Method::POST, "/metrics"),
        (reqwest::Method::GET, "/admin/reload"),
        (reqwest::Method::POST, "/admin/export/prod_data.csv"),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        let headers = assert_error(response, 405, "method_not_allowed").await;
        assert!(
            headers.contains_key(reqwest::header::ALLOW),
            "{method} {path}: 405 names the allowed methods"
        );
    }
}

/// A grab bag of hostile and odd inputs: every answer is a success or a 4xx, never a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_user_input_causes_a_server_error() {
    let app = spawn_app().await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let raw_bodies: Vec<(&str, &str, Vec<u8>)> = vec![
        ("/predict", JSON, b"\xff\xfe{\"text\": \"a\"}".to_vec()),
        ("/predict", JSON, b"{\"text\": \"\xc3\x28\"}".to_vec()),
        ("/predict", JSON, deep.clone().into_bytes()),
        (
            "/predict",
            JSON,
            b"{\"text\": \"a\", \"text\": \"b\"}".to_vec(),
        ),
        ("/predict", JSON, b"{\"text\": \"\\ud800\"}".to_vec()),
        ("/predict", JSON, b"null".to_vec()),
        ("/predict", JSON, b"1e999".to_vec()),
        ("/predict/batch", JSON, deep.into_bytes()),
        (
            "/predict/batch",
            JSON,
            b"{\"items\": [null, 1, \"x\", [], {\"text\": 5}, {}]}".to_vec(),
        ),
        ("/predict/batch", JSON, b"{\"items\": []}".to_vec()),
        ("/predict/batch", JSON, b"{}".to_vec()),
        ("/predict/batch", "text/csv", b"".to_vec()),
        (
            "/predict/batch",
            "text/csv",
            b"id,channel\n1,sms\n".to_vec(),
        ),
        (
            "/predict/batch",
            "text/csv",
            b"text\n\"unterminated\n".to_vec(),
        ),
        (
            "/predict/batch",
            "text/csv",
            b"text,id\n\xff\xfe,1\nok,2\n".to_vec(),
        ),
        (
            "/predict/batch",
            "text/csv",
            b"text,id\na,1,extra,fields\nb\n".to_vec(),
        ),
        (
            "/predict/batch",
            "text/csv; charset=utf-8",
            b"\xef\xbb\xbftext\nhello\n".to_vec(),
        ),
        (
            "/feedback",
            JSON,
            b"{\"prediction_id\": null, \"text\": null, \"label\": \"fraud\"}".to_vec(),
        ),
        (
            "/feedback",
            JSON,
            b"{\"prediction_id\": 5, \"label\": \"fraud\"}".to_vec(),
        ),
        (
            "/feedback",
            JSON,
            format!(
                "{{\"text\": \"x\", \"label\": \"fraud\", \"comment\": \"{}\"}}",
                "c".repeat(3000)
            )
            .into_bytes(),
        ),
        ("/admin/reload", JSON, b"{}".to_vec()),
    ];
    for (path, content_type, body) in raw_bodies {
        let response = app.post_raw(path, content_type, body.clone()).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(
            status < 500,
            "{path} {content_type} {:?} -> {status} {text}",
            String::from_utf8_lossy(&body)
        );
        if status >= 400 {
            let parsed: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: {text}"));
            assert!(parsed["error"]["code"].is_string(), "{path}: {text}");
        }
    }

    // (A text of only invisible characters is `empty_text`; see above.)
    let odd_texts = [
        "\u{0}x",
        "y\u{200b}",
        "🙂🙂🙂",
        "!!!???...",
        "http://x.top",
        "مرحبا، هل يمكنك التحقق من حسابك؟",
        "a\u{301}\u{301}\u{301}\u{301}",
        "ＵＲＧＥＮＴ　ｖｅｒｉｆｙ",
        "\u{feff}text",
        "💰💰 $$$ ¥¥¥ 1000000000000000000000000000000000000000",
    ];
    for text in odd_texts {
        let response = app
            .post_json(
                "/predict",
                &json!({"text": text, "meta": {"nested": [1, {"a": null}]}}),
            )
            .await;
        let p = json_with_status(response, 200).await;
        let score = p["risk_score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score), "{text:?}: {p}");
        let fb = app
            .post_json(
                "/feedback",
                &json!({"prediction_id": p["prediction_id"], "label": "legit", "comment": text}),
            )
            .await;
        assert_eq!(fb.status(), 201, "{text:?}");
    }
}
