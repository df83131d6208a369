//! The queue: retries with backoff, a job never taken twice at once, no job lost in a crash.

use std::time::Duration;

use registry_verifier::provenance::Verdict as Judged;
use registry_verifier::store;
use registry_verifier::worker::Outcome;

use crate::github::{REPO, World};

#[tokio::test]
async fn github_errors_are_retried_with_backoff_then_the_job_is_judged() {
    let w = World::new().await;
    w.github.serve(REPO, vec![w.good_bundle()]);
    w.github.state.lock().unwrap().failures_left = 2;
    for attempt in 1..=2 {
        let outcome = w.worker.work_one().await.unwrap().unwrap();
        assert!(
            matches!(outcome, Outcome::Retried(ref e) if e.contains("503")),
            "{outcome:?}"
        );
        let (attempts, error): (i32, Option<String>) =
            sqlx::query_as("SELECT attempts, last_error FROM verification_jobs")
                .fetch_one(&w.db.pool)
                .await
                .unwrap();
        assert_eq!(attempts, attempt);
        assert!(error.unwrap().contains("503"));
        // Not due again before its wait.
        sqlx::query("UPDATE verification_jobs SET next_try_at = now() + interval '1 hour'")
            .execute(&w.db.pool)
            .await
            .unwrap();
        assert!(
            w.worker.work_one().await.unwrap().is_none(),
            "taken before it was due"
        );
        sqlx::query("UPDATE verification_jobs SET next_try_at = now()")
            .execute(&w.db.pool)
            .await
            .unwrap();
    }
    let outcome = w.worker.work_one().await.unwrap().unwrap();
    assert!(
        matches!(outcome, Outcome::Judged(Judged::Verified(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn each_retry_waits_twice_as_long_as_the_one_before() {
    let mut w = World::new().await;
    w.worker.retry_base = Duration::from_secs(60);
    w.github.state.lock().unwrap().failures_left = 100;
    for attempt in 0..2 {
        sqlx::query("UPDATE verification_jobs SET next_try_at = now()")
            .execute(&w.db.pool)
            .await
            .unwrap();
        w.worker.work_one().await.unwrap().unwrap();
        let wait: f64 = sqlx::query_scalar(
            "SELECT extract(epoch FROM next_try_at - now())::float8 FROM verification_jobs",
        )
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
        let expected = 60.0 * f64::from(1u32 << attempt);
        assert!(
            (expected - 5.0..=expected + 1.0).contains(&wait),
            "try {attempt}: waits {wait} s, not {expected} s"
        );
    }
    assert_eq!(
        w.worker.wait(30),
        Duration::from_secs(3600),
        "capped at an hour"
    );
}

#[tokio::test]
async fn a_verified_build_stays_verified_when_github_cannot_be_asked_again() {
    let w = World::new().await;
    w.github.serve(REPO, vec![w.good_bundle()]);
    w.worker.work_one().await.unwrap().unwrap();
    assert_eq!(w.statuses().await, ["verified", "verified"]);
    sqlx::query("SELECT request_verification($1, NULL)")
        .bind(w.wasm_pk)
        .execute(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(
        w.statuses().await,
        ["verified", "verified"],
        "a request does not unverify"
    );
    w.github.state.lock().unwrap().failures_left = 100;
    let mut last = None;
    for _ in 0..3 {
        sqlx::query("UPDATE verification_jobs SET next_try_at = now()")
            .execute(&w.db.pool)
            .await
            .unwrap();
        last = w.worker.work_one().await.unwrap();
    }
    assert_eq!(last, Some(Outcome::Kept));
    assert_eq!(w.jobs().await, 0);
    assert_eq!(w.statuses().await, ["verified", "verified"]);
    assert_eq!(w.verdict().await.unwrap().0, "verified");
}

#[tokio::test]
async fn a_verdict_the_database_refuses_never_holds_the_head_of_the_queue() {
    let mut w = World::new().await;
    w.worker.retry_base = Duration::from_secs(60);
    // A second WASM queued behind the first.
    let other: i64 = sqlx::query_scalar(
        "INSERT INTO wasm_codes (hash, size_bytes, first_seen_network, first_seen_ledger, first_seen_at, meta)
         VALUES ($1, 100, 'testnet', 10, now(), '[{\"key\":\"source_repo\",\"value\":\"github:acme/other\"}]') RETURNING pk",
    )
    .bind([7u8; 32].as_slice())
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE verification_jobs SET next_try_at = now() + interval '1 second' WHERE wasm_pk = $1",
    )
    .bind(other)
    .execute(&w.db.pool)
    .await
    .unwrap();
    // The first job's verdicts are refused by the database (a constraint only this test adds).
    sqlx::query(
        "ALTER TABLE verifications ADD CONSTRAINT refuse_first CHECK (wasm_pk <> $1)"
            .replace("$1", &w.wasm_pk.to_string())
            .as_str(),
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    let outcome = w.worker.work_one().await.unwrap().unwrap();
    assert!(
        matches!(outcome, Outcome::Retried(ref e) if e.contains("could not be stored")),
        "{outcome:?}"
    );
    let (attempts, due_later): (i32, bool) = sqlx::query_as(
        "SELECT attempts, next_try_at > now() FROM verification_jobs WHERE wasm_pk = $1",
    )
    .bind(w.wasm_pk)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (attempts, due_later),
        (1, true),
        "the refused job was pushed back"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let next = store::next(&w.db.pool)
        .await
        .unwrap()
        .expect("the other job");
    assert_eq!(next.source_repo.as_deref(), Some("github:acme/other"));
}

#[tokio::test]
async fn a_job_github_never_answers_fails_after_the_last_try_saying_so() {
    let w = World::new().await;
    w.github.state.lock().unwrap().failures_left = 100;
    let mut last = None;
    for _ in 0..3 {
        sqlx::query("UPDATE verification_jobs SET next_try_at = now()")
            .execute(&w.db.pool)
            .await
            .unwrap();
        last = w.worker.work_one().await.unwrap();
    }
    let Some(Outcome::Judged(Judged::Failed { reason, .. })) = last else {
        panic!("{last:?}");
    };
    assert!(reason.contains("after 3 tries"), "{reason}");
    assert_eq!(w.jobs().await, 0);
}

#[tokio::test]
async fn a_job_is_never_taken_twice_at_once_and_a_crash_loses_none() {
    let w = World::new().await;
    let taken = store::next(&w.db.pool).await.unwrap().expect("a due job");
    // A second verifier skips the locked job instead of waiting for it or taking it.
    let second = tokio::time::timeout(Duration::from_secs(5), store::next(&w.db.pool))
        .await
        .expect("SKIP LOCKED does not wait");
    assert!(second.unwrap().is_none());
    // The first dies mid-job: its transaction goes, the job stays.
    drop(taken);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(w.jobs().await, 1);
    let again = store::next(&w.db.pool)
        .await
        .unwrap()
        .expect("the job again");
    assert_eq!(again.attempts, 0);
    assert_eq!(again.source_repo.as_deref(), Some("github:acme/token"));
}

#[tokio::test]
async fn the_loop_works_the_queue_until_stopped_and_sends_the_token() {
    let mut w = World::new().await;
    w.github.serve(REPO, vec![w.good_bundle()]);
    w.worker.github = registry_verifier::github::GitHub::new(
        &w.github.url,
        Some(registry_core::env::Secret::new("ghp_test")),
        Duration::from_secs(5),
    )
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = w.worker.clone();
    let run = tokio::spawn(async move {
        worker
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    let mut verified = false;
    for _ in 0..200 {
        if w.statuses().await == ["verified", "verified"] {
            verified = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(verified, "the loop did not verify the queued WASM");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("the loop stops when asked")
        .unwrap();
    assert_eq!(
        w.github.state.lock().unwrap().auth[0].as_deref(),
        Some("Bearer ghp_test")
    );
}

#[tokio::test]
async fn the_verifier_role_writes_verdicts_and_nothing_else() {
    let w = World::new().await;
    for forbidden in [
        "UPDATE contracts SET name = 'x'",
        "UPDATE contracts SET publisher_pk = NULL",
        "DELETE FROM contracts",
        "UPDATE wasm_codes SET meta = '[]'",
        "DELETE FROM verifications",
        "UPDATE verifications SET status = 'verified'",
        "INSERT INTO verification_jobs (wasm_pk) VALUES (1)",
        "DELETE FROM verification_jobs",
        "DELETE FROM audit_log",
        "UPDATE contracts SET verification = 'verified'",
        "INSERT INTO registry_events (kind, network, ledger) VALUES ('contract_claimed', 'testnet', 1)",
        "SELECT set_manual_tags(1, 'G', '{}')",
        "SELECT request_verification(1, NULL)",
    ] {
        let mut tx = w.db.pool.begin().await.unwrap();
        sqlx::query("SET LOCAL ROLE registry_verifier")
            .execute(&mut *tx)
            .await
            .unwrap();
        let err = sqlx::query(forbidden).execute(&mut *tx).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{forbidden}: {err}"
        );
    }
}

#[tokio::test]
async fn a_contract_moving_to_the_wasm_while_its_verdict_is_recorded_ends_with_the_verdict() {
    let w = World::new().await;
    w.github.serve(REPO, vec![w.good_bundle()]);
    // A third contract runs another WASM; the indexer is upgrading it to this one and has not
    // committed yet (its trigger read the status: pending).
    let other: i64 = sqlx::query_scalar(
        "INSERT INTO wasm_codes (hash, size_bytes, first_seen_network, first_seen_ledger, first_seen_at)
         VALUES ($1, 100, 'testnet', 10, now()) RETURNING pk",
    )
    .bind([9u8; 32].as_slice())
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO contracts (network, contract_id, kind, wasm_pk, created_ledger, created_at)
         VALUES ('mainnet', $1, 'wasm', $2, 10, now())",
    )
    .bind(crate::github::CONTRACTS[0])
    .bind(other)
    .execute(&w.db.pool)
    .await
    .unwrap();
    let mut indexer = w.db.pool.begin().await.unwrap();
    sqlx::query("UPDATE contracts SET wasm_pk = $1 WHERE network = 'mainnet'")
        .bind(w.wasm_pk)
        .execute(&mut *indexer)
        .await
        .unwrap();
    // The verdict waits for the indexer's transaction instead of missing its row.
    let worker = w.worker.clone();
    let verdict = tokio::spawn(async move { worker.work_one().await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !verdict.is_finished(),
        "the verdict did not wait for the WASM's row"
    );
    indexer.commit().await.unwrap();
    let outcome = verdict.await.unwrap().unwrap().unwrap();
    assert!(
        matches!(outcome, Outcome::Judged(Judged::Verified(_))),
        "{outcome:?}"
    );
    assert_eq!(w.statuses().await, ["verified", "verified", "verified"]);
}
