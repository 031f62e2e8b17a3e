use super::*;
use crate::certs::crc;
use crate::certs::demo_catalog;
use proptest::prelude::*;

fn demo() -> (Arc<Catalog>, Vec<Arc<CertInfo>>) {
    let cat = Arc::new(demo_catalog());
    let certs = cat.certs().to_vec();
    (cat, certs)
}

fn by_name(certs: &[Arc<CertInfo>], name: &str) -> Arc<CertInfo> {
    certs
        .iter()
        .find(|c| c.display_name().starts_with(name))
        .cloned()
        .unwrap_or_else(|| panic!("no {name}"))
}

/// What one worker process prints for this sequence (chained build), from
/// size and plain CRC only (the equivalence with hashing bytes is tested in
/// crc.rs and against expected.json).
fn chained_values(seq: &[(u32, u32)]) -> Vec<u32> {
    let mut prev = 0;
    seq.iter()
        .map(|&(n, c)| {
            prev = crc::combine(prev, c, n as u64);
            prev
        })
        .collect()
}

fn key(c: &CertInfo) -> (u32, u32) {
    (c.der_size, c.crc32)
}

fn obs(cnt: u64, size: u32, logged: u32, gap: u32) -> CertObservation {
    CertObservation {
        cnt,
        size: Some(size),
        logged_crc: logged,
        preceded_by_gap: gap,
    }
}

#[test]
fn certs_identify_chained_real_bytes() {
    let (cat, certs) = demo();
    let names = ["alice", "bob", "alice", "carol", "frank", "alice", "dave"];
    let ders: Vec<&[u8]> = names
        .iter()
        .map(|n| {
            crate::certs::DEMO_CERTS
                .iter()
                .find(|(f, _)| f.contains(n))
                .unwrap()
                .1
        })
        .collect();
    let logged = crc::chain_all(ders.iter().copied());
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Auto);
    for (i, (n, d)) in names.iter().zip(&ders).enumerate() {
        let id = dec.observe(obs(i as u64 + 1, d.len() as u32, logged[i], 0));
        let c = id.cert.as_ref().expect("identified");
        assert_eq!(c.thumbprint_sha1, by_name(&certs, n).thumbprint_sha1);
        let want = if i == 0 {
            IdentifiedBy::PlainCrc
        } else {
            IdentifiedBy::ChainedCrc
        };
        assert_eq!(id.identified_by, Some(want), "{i}");
        assert!(id.is_exact());
    }
    assert_eq!(dec.detected_mode(), CrcMode::Chained);
    assert!(
        dec.mode_explanation().starts_with("chained CRC"),
        "{}",
        dec.mode_explanation()
    );
    assert_eq!(dec.counts(), (7, 7));
    let sum = serde_json::to_value(dec.summary()).unwrap();
    assert_eq!(sum["detected_mode"], "chained");
    assert_eq!(sum["effective_mode"], "chained");
    assert_eq!(sum["identified"], 7);
}

#[test]
fn certs_identify_plain_build_and_repeats() {
    let (cat, certs) = demo();
    let seq = ["bob", "bob", "erin", "bob", "kiosk"];
    let mut dec = ChainDecoder::with_mode(cat.clone(), CrcMode::Auto);
    for (i, n) in seq.iter().enumerate() {
        let c = by_name(&certs, n);
        let id = dec.observe(obs(i as u64 + 1, c.der_size, c.crc32, 0));
        assert_eq!(id.cert.unwrap().thumbprint_sha1, c.thumbprint_sha1);
        assert_eq!(id.identified_by, Some(IdentifiedBy::PlainCrc));
    }
    assert_eq!(dec.detected_mode(), CrcMode::Plain);
    assert!(dec.mode_explanation().starts_with("plain CRC-32"));

    // unknown certificates in plain mode group by (size, crc)
    let id = dec.observe(obs(9, 700, 0xdead_beef, 3));
    assert!(id.cert.is_none());
    assert_eq!(
        id.unknown_key(),
        Some(UnknownCertKey {
            size: 700,
            crc32: 0xdead_beef
        })
    );
    // forced chained mode on a plain capture: contradiction reported
    let mut forced = ChainDecoder::with_mode(cat, CrcMode::Chained);
    for (i, n) in seq.iter().enumerate() {
        let c = by_name(&certs, n);
        forced.observe(obs(i as u64 + 1, c.der_size, c.crc32, 0));
    }
    assert!(
        forced.mode_explanation().contains("contradicts"),
        "{}",
        forced.mode_explanation()
    );
}

/// The process hashed `hashed`; the capture shows only the observations at
/// `shown` indices. Each shown observation reports how many requests were
/// missing before it (all hidden hashed requests plus `no_cert_missing`).
fn run_gapped(
    cat: Arc<Catalog>,
    hashed: &[(u32, u32)],
    shown: &[usize],
    no_cert_missing: u32,
) -> Vec<Identification> {
    let logged = chained_values(hashed);
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Chained);
    let mut prev_shown: Option<usize> = None;
    shown
        .iter()
        .map(|&i| {
            let hidden = match prev_shown {
                Some(p) => i - p - 1,
                None => i,
            } as u32;
            prev_shown = Some(i);
            dec.observe(obs(
                i as u64,
                hashed[i].0,
                logged[i],
                hidden + no_cert_missing,
            ))
        })
        .collect()
}

#[test]
fn certs_identify_gap_depths_0_to_3() {
    let (cat, certs) = demo();
    let k = |n| key(&by_name(&certs, n));
    let hashed = [
        k("alice"),
        k("bob"),
        k("carol"),
        k("dave"),
        k("erin"),
        k("frank"),
        k("kiosk"),
        k("alice"),
    ];
    for depth in 0..=3usize {
        let last = 1 + depth;
        let ids = run_gapped(cat.clone(), &hashed, &[0, last], 2);
        let id = &ids[1];
        let want = &cat
            .lookup(hashed[last].0, hashed[last].1)
            .next()
            .unwrap()
            .thumbprint_sha1;
        assert_eq!(
            id.cert.as_ref().map(|c| &c.thumbprint_sha1),
            Some(want),
            "depth {depth}: {id:?}"
        );
        assert_eq!(id.search_depth, depth as u32);
        let by = if depth == 0 {
            IdentifiedBy::ChainedCrc
        } else {
            IdentifiedBy::ChainedCrcSearch
        };
        assert_eq!(id.identified_by, Some(by));
        assert!(id.note.is_some());
    }
    // more certificates missing than max_depth: not decoded, never wrong
    let ids = run_gapped(cat.clone(), &hashed, &[0, 5], 0);
    assert!(ids[1].cert.is_none());
    assert!(
        ids[1].note.as_ref().unwrap().contains("not decoded"),
        "{:?}",
        ids[1].note
    );
}

#[test]
fn certs_identify_first_value_after_late_capture_start() {
    let (cat, certs) = demo();
    let k = |n| key(&by_name(&certs, n));
    let hashed = [k("erin"), k("bob"), k("carol")];
    // capture starts at the third request; two missing since process start
    let ids = run_gapped(cat, &hashed, &[2], 0);
    assert_eq!(
        ids[0].cert.as_ref().unwrap().display_name(),
        "carol@contoso.example"
    );
    assert_eq!(ids[0].search_depth, 2);
}

#[test]
fn certs_identify_lost_crc_line_of_unknown_cert() {
    let (cat, certs) = demo();
    let k = |n| key(&by_name(&certs, n));
    let unknown = (1234, 0x1234_5678);
    let hashed = [k("alice"), unknown, k("bob"), k("carol")];
    let logged = chained_values(&hashed);
    let mut dec = ChainDecoder::with_mode(cat.clone(), CrcMode::Auto);
    assert!(
        dec.observe(obs(1, hashed[0].0, logged[0], 0))
            .cert
            .is_some()
    );
    // request 2: size line captured, crc line lost
    dec.note_missing_cert(Some(1234));
    let id = dec.observe(obs(3, hashed[2].0, logged[2], 0));
    assert!(id.cert.is_none(), "{id:?}");
    assert!(
        id.note
            .as_ref()
            .unwrap()
            .contains("lost their cert crc line"),
        "{:?}",
        id.note
    );
    // the next value decodes again: its predecessor was captured
    let id = dec.observe(obs(4, hashed[3].0, logged[3], 0));
    assert_eq!(id.cert.unwrap().display_name(), "carol@contoso.example");
    assert_eq!(id.identified_by, Some(IdentifiedBy::ChainedCrc));

    // the same with a known certificate behind the lost line: search finds it
    let hashed = [k("alice"), k("dave"), k("bob")];
    let logged = chained_values(&hashed);
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Chained);
    dec.observe(obs(1, hashed[0].0, logged[0], 0));
    dec.note_missing_cert(Some(hashed[1].0));
    let id = dec.observe(obs(3, hashed[2].0, logged[2], 0));
    assert_eq!(id.cert.unwrap().display_name(), "bob@contoso.example");
    assert_eq!(id.search_depth, 1);
    assert!(id.note.unwrap().contains("dave@contoso.example"));
}

#[test]
fn certs_identify_unknown_cert_captured_keeps_state() {
    let (cat, certs) = demo();
    let k = |n| key(&by_name(&certs, n));
    let hashed = [k("alice"), (855, 42), k("alice")];
    let logged = chained_values(&hashed);
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Auto);
    dec.observe(obs(1, hashed[0].0, logged[0], 0));
    dec.observe(obs(2, hashed[1].0, logged[1], 0));
    let id = dec.observe(obs(3, hashed[2].0, logged[2], 0));
    assert_eq!(id.cert.unwrap().display_name(), "alice@contoso.example");
    assert_eq!(id.identified_by, Some(IdentifiedBy::ChainedCrc));
    // in chained mode an unknown value explains why it cannot be grouped
    let mut dec = ChainDecoder::with_mode(Arc::new(demo_catalog()), CrcMode::Chained);
    dec.observe(obs(1, hashed[0].0, logged[0], 0));
    let id = dec.observe(obs(2, hashed[1].0, logged[1], 0));
    assert!(id.cert.is_none() && id.unknown_key().is_none());
    assert!(id.note.unwrap().contains("unrelated values"));
}

#[test]
fn certs_identify_out_of_order_lines() {
    let (cat, certs) = demo();
    let k = |n| key(&by_name(&certs, n));
    let hashed = [k("alice"), k("bob"), k("carol"), k("dave"), k("erin")];
    let logged = chained_values(&hashed);
    // printed: alice, carol, bob, dave, erin (carol's and bob's lines swapped)
    let order = [0usize, 2, 1, 3, 4];
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Chained);
    for &i in &order {
        let id = dec.observe(obs(i as u64 + 1, hashed[i].0, logged[i], 0));
        let want = &dec
            .catalog
            .lookup(hashed[i].0, hashed[i].1)
            .next()
            .unwrap()
            .subject
            .clone();
        assert_eq!(
            id.cert.as_ref().map(|c| &c.subject),
            Some(want),
            "line {i}: {id:?}"
        );
    }
}

#[test]
fn certs_identify_ambiguous_plain_and_search() {
    // two catalog certificates with the same size and CRC
    let cat = Arc::new(Catalog::from_certs([
        CertInfo::synthetic(900, 7, "twin-a"),
        CertInfo::synthetic(900, 7, "twin-b"),
    ]));
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Plain);
    let id = dec.observe(obs(1, 900, 7, 0));
    assert!(id.ambiguous && id.cert.is_none());
    assert_eq!(id.candidates.len(), 2);

    // crafted: after one missing certificate (m1 or m2, same size), two
    // different final certificates explain the same logged value
    let prev = 0x0bad_cafe_u32;
    let logged = 0x1357_9bdf_u32;
    let (m, n) = (800u32, 1000u32);
    let (x1, x2) = (111u32, 222u32);
    let f = |x: u32| logged ^ crc::shift(crc::shift(prev, m as u64) ^ x, n as u64);
    let cat = Arc::new(Catalog::from_certs([
        CertInfo::synthetic(m, x1, "m1"),
        CertInfo::synthetic(m, x2, "m2"),
        CertInfo::synthetic(n, f(x1), "f1"),
        CertInfo::synthetic(n, f(x2), "f2"),
        CertInfo::synthetic(777, prev, "first"),
    ]));
    let mut dec = ChainDecoder::with_mode(cat.clone(), CrcMode::Chained);
    let first = dec.observe(obs(1, 777, prev, 0));
    assert_eq!(first.cert.unwrap().display_name(), "first");
    let id = dec.observe(obs(3, n, logged, 1));
    assert!(id.ambiguous, "{id:?}");
    assert!(id.cert.is_none());
    assert_eq!(id.candidates.len(), 2);
    assert_eq!(id.search_depth, 1);

    // with the missing request's size known and only m1 of that size... both
    // have size m, so still ambiguous; a different size prunes the search
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Chained);
    dec.observe(obs(1, 777, prev, 0));
    dec.note_missing_cert(Some(999));
    let id = dec.observe(obs(3, n, logged, 0));
    assert!(!id.ambiguous && id.cert.is_none());
}

#[test]
fn certs_identify_search_budget_with_large_catalog() {
    // 10,000 synthetic entries: depth 1 is affordable, depth 2 is not
    let mut rng = 0x1234_5678_9abc_def0_u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let entries: Vec<CertInfo> = (0..10_000)
        .map(|i| {
            let r = next();
            CertInfo::synthetic(600 + (r % 1400) as u32, (r >> 32) as u32, &format!("s{i}"))
        })
        .collect();
    let seq: Vec<(u32, u32)> = entries.iter().take(6).map(key).collect();
    let cat = Arc::new(Catalog::from_certs(entries));
    let ids = run_gapped(cat.clone(), &seq, &[0, 2], 0);
    assert_eq!(ids[1].search_depth, 1);
    assert_eq!(ids[1].cert.as_ref().unwrap().display_name(), "s2");
    assert!(ids[1].hypotheses < 430_000);
    let ids = run_gapped(cat, &seq, &[0, 3], 0);
    assert!(ids[1].cert.is_none());
    assert!(
        ids[1].note.as_ref().unwrap().contains("coincidental"),
        "{:?}",
        ids[1].note
    );
}

#[test]
fn certs_identify_auto_undecided_without_catalog_hits() {
    let (cat, _) = demo();
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Auto);
    for i in 0..5 {
        dec.observe(obs(i, 500 + i as u32, 99 + i as u32, 0));
    }
    assert_eq!(dec.detected_mode(), CrcMode::Auto);
    assert!(dec.mode_explanation().contains("undetermined"));
}

#[test]
fn certs_identify_recycle_in_chained_instance() {
    let (cat, certs) = demo();
    let k = |n| key(&by_name(&certs, n));
    let hashed = [k("alice"), k("bob"), k("carol")];
    let logged = chained_values(&hashed);
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Chained);
    for (i, h) in hashed.iter().enumerate() {
        dec.observe(obs(i as u64 + 1, h.0, logged[i], 0));
    }
    // the correlator missed a restart: the value is a plain CRC-32
    let erin = by_name(&certs, "erin");
    let id = dec.observe(obs(1, erin.der_size, erin.crc32, 0));
    assert_eq!(id.cert.unwrap().display_name(), "erin@contoso.example");
    assert_eq!(id.identified_by, Some(IdentifiedBy::PlainCrc));
    assert!(id.note.unwrap().contains("recycle"));
}

#[test]
fn certs_identify_warnings_and_summary() {
    let (cat, certs) = demo();
    let frank = by_name(&certs, "frank");
    let at = DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert!(validity_warning(&frank, at).unwrap().contains("expired"));
    let alice = by_name(&certs, "alice");
    assert!(validity_warning(&alice, at).is_none());
    let early = DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert!(
        validity_warning(&alice, early)
            .unwrap()
            .contains("not yet valid")
    );
    let svc = by_name(&certs, "svc-backup");
    assert!(eku_warning(&svc).unwrap().contains("serverAuth"));
    assert!(eku_warning(&alice).is_none());

    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Plain);
    let mut b = CertSummaryBuilder::new();
    let reqs = [
        (&alice, 5120, "https://a/1"),
        (&frank, 5120, "https://a/2"),
        (&alice, 6044, "https://a/1"),
        (&alice, 6044, "https://a/3"),
    ];
    for (i, (c, pid, uri)) in reqs.iter().enumerate() {
        let id = dec.observe(obs(i as u64, c.der_size, c.crc32, 0));
        let t = chrono::NaiveTime::from_hms_opt(12, 0, i as u32).unwrap();
        b.add(
            &id,
            Some(c.der_size),
            &CertSighting {
                time: Some(EventTime::TimeOfDay(t)),
                at: Some(at),
                pid: Some(*pid),
                uri: Some(uri),
                outcome: Outcome::CertOk,
            },
        );
    }
    let id = dec.observe(obs(9, 321, 1, 0));
    b.add(
        &id,
        Some(321),
        &CertSighting {
            outcome: Outcome::CertOk,
            ..Default::default()
        },
    );
    let rows = b.build();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0].cert.as_ref().unwrap().display_name(),
        "alice@contoso.example"
    );
    assert_eq!(rows[0].requests, 3);
    assert_eq!(rows[0].pids, vec![5120, 6044]);
    assert_eq!(rows[0].uris, vec!["https://a/1", "https://a/3"]);
    assert_eq!(rows[0].first_seen.as_deref(), Some("12:00:00.000000"));
    assert_eq!(rows[0].last_seen.as_deref(), Some("12:00:03.000000"));
    assert_eq!(rows[1].expired_requests, 1);
    assert!(rows[1].warnings[0].contains("expired"));
    assert_eq!(
        rows[2].unknown,
        Some(UnknownCertKey {
            size: 321,
            crc32: 1
        })
    );
    let json = serde_json::to_value(&rows).unwrap();
    assert_eq!(json[0]["identified_by"]["plain_crc"], 3);
    assert_eq!(
        json[0]["cert"]["subject"],
        "CN=alice@contoso.example, O=Contoso"
    );
}

#[test]
fn certs_identify_serde_names() {
    assert_eq!(
        serde_json::to_string(&IdentifiedBy::ChainedCrcSearch).unwrap(),
        "\"chained_crc_search\""
    );
    assert_eq!("CHAINED".parse::<CrcMode>().unwrap(), CrcMode::Chained);
    let id = Identification::default();
    let v = serde_json::to_value(&id).unwrap();
    assert!(v["cert"].is_null());
    assert!(id.record().is_none());
    let (cat, certs) = demo();
    let alice = by_name(&certs, "alice");
    let id =
        ChainDecoder::with_mode(cat, CrcMode::Auto).observe(obs(1, alice.der_size, alice.crc32, 0));
    let r = serde_json::to_value(id.record().unwrap()).unwrap();
    assert_eq!(r["identified_by"], "plain_crc");
    assert_eq!(r["subject"], "CN=alice@contoso.example, O=Contoso");
    assert_eq!(r["thumbprint_sha1"], alice.thumbprint_sha1.as_str());
}

proptest! {
    // CERTS_PROPTEST_CASES=5000 for a longer run
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("CERTS_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]
    /// Whatever is lost, reordered or unknown, an identity is never wrong.
    #[test]
    fn certs_identify_never_wrong(
        cat_spec in proptest::collection::vec((600u32..640, any::<u32>()), 3..40),
        picks in proptest::collection::vec((0usize..64, 0u8..10), 5..60),
        plain_build: bool,
    ) {
        let entries: Vec<CertInfo> = cat_spec
            .iter()
            .enumerate()
            .map(|(i, &(n, c))| CertInfo::synthetic(n, c, &format!("c{i}")))
            .collect();
        let cat = Arc::new(Catalog::from_certs(entries.clone()));
        // hashed sequence: catalog certs, some unknown (not in the catalog);
        // what the capture shows: action 0 = request lost, 1 = crc line
        // lost (size known), 2 = lines swapped with the next, else shown.
        let mut hashed: Vec<((u32, u32), Option<String>)> = Vec::new();
        for (i, &(p, _)) in picks.iter().enumerate() {
            if p < entries.len() {
                hashed.push((key(&entries[p]), Some(entries[p].thumbprint_sha1.clone())));
            } else {
                hashed.push(((600 + (p as u32 % 40), 0x5eed_0000 ^ i as u32), None));
            }
        }
        let keys: Vec<(u32, u32)> = hashed.iter().map(|h| h.0).collect();
        let logged: Vec<u32> = if plain_build {
            keys.iter().map(|k| k.1).collect()
        } else {
            chained_values(&keys)
        };
        let mut order: Vec<usize> = (0..hashed.len()).collect();
        for (i, &(_, a)) in picks.iter().enumerate() {
            if a == 2 && i + 1 < order.len() {
                order.swap(i, i + 1);
            }
        }
        let mut dec = ChainDecoder::with_mode(cat, CrcMode::Auto);
        let mut gap = 0;
        for &i in &order {
            match picks[i].1 {
                0 => { gap += 1; continue; }
                1 => { dec.note_missing_cert(Some(keys[i].0)); continue; }
                _ => {}
            }
            let id = dec.observe(obs(i as u64, keys[i].0, logged[i], gap));
            gap = 0;
            for r in dec.take_revisions() {
                let c = r.identification.cert.as_ref().expect("a revision names a certificate");
                let truth = &hashed[r.cnt as usize];
                prop_assert!(truth.1.is_some(), "unknown certificate got a late identity");
                prop_assert_eq!((c.der_size, c.crc32), truth.0);
            }
            if let Some(c) = &id.cert {
                // the true certificate, or one with identical (size, crc)
                let truth = &hashed[i];
                prop_assert!(truth.1.is_some(), "unknown certificate got identity {:?}", c.subject);
                prop_assert_eq!((c.der_size, c.crc32), truth.0);
            }
        }
    }
}

/// A capture like the acceptance check, at the decoder level: 4
/// worker processes, ~4,000 requests, chained CRCs, no-cert requests, unknown
/// certificates, lost requests, lost `cert crc` lines, adjacent `cert crc`
/// lines printed in the opposite order of hashing, and a recycle. The
/// correlator is assumed to feed the decoder correctly (what it sees).
#[test]
fn certs_identify_simulated_capture_recall_and_never_wrong() {
    let (cat, certs) = demo();
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut rnd = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    #[derive(Clone, Copy, PartialEq)]
    enum Fate {
        Shown,
        Lost,
        CrcLost,
    }
    let (mut eligible, mut correct, mut wrong, mut exact_wrong) = (0, 0, 0, 0);
    for process in 0..5 {
        // process 4 is the recycled process 0 (new instance, counter restart)
        let n_req = if process == 0 || process == 4 {
            500
        } else {
            1000
        };
        // (key, truth) of the certificates hashed, in hashing order
        // (key, truth, fate, requests lost just before it)
        type Hashed = ((u32, u32), Option<String>, Fate, u32);
        let mut hashed: Vec<Hashed> = Vec::new();
        let mut lost_before = 0u32;
        for _ in 0..n_req {
            let lost = rnd(100) < 2;
            let kind = rnd(100);
            if kind < 40 {
                // plain HTTP or no certificate: no hashing
                if lost {
                    lost_before += 1;
                }
                continue;
            }
            let (k, truth) = if kind < 95 {
                let c = &certs[rnd(certs.len() as u64) as usize];
                (key(c), Some(c.thumbprint_sha1.clone()))
            } else {
                ((500 + rnd(700) as u32, rnd(1 << 32) as u32), None)
            };
            let fate = if lost {
                Fate::Lost
            } else if rnd(100) < 1 {
                Fate::CrcLost
            } else {
                Fate::Shown
            };
            hashed.push((k, truth, fate, lost_before));
            lost_before = if fate == Fate::Lost { 1 } else { 0 };
        }
        let logged = chained_values(&hashed.iter().map(|h| h.0).collect::<Vec<_>>());
        // print order: swap ~1% of adjacent pairs
        let mut order: Vec<usize> = (0..hashed.len()).collect();
        let mut i = 0;
        while i + 1 < order.len() {
            if rnd(100) < 1 {
                order.swap(i, i + 1);
                i += 2;
            } else {
                i += 1;
            }
        }
        let mut dec = ChainDecoder::with_mode(cat.clone(), CrcMode::Auto);
        let mut gap = 0;
        for &i in &order {
            let (k, truth, fate, lost_before) = &hashed[i];
            gap += lost_before;
            match fate {
                Fate::Lost => continue,
                Fate::CrcLost => {
                    dec.note_missing_cert(Some(k.0));
                    continue;
                }
                Fate::Shown => {}
            }
            let id = dec.observe(obs(i as u64, k.0, logged[i], gap));
            gap = 0;
            if truth.is_some() {
                eligible += 1;
            }
            for r in dec.take_revisions() {
                let (rk, rtruth, _, _) = &hashed[r.cnt as usize];
                let c = r.identification.cert.as_ref().unwrap();
                if rtruth.is_some() && (c.der_size, c.crc32) == *rk {
                    correct += 1;
                } else {
                    wrong += 1;
                }
            }
            if let Some(c) = &id.cert {
                if truth.is_some() && (c.der_size, c.crc32) == *k {
                    correct += 1;
                } else {
                    wrong += 1;
                    if id.is_exact() {
                        exact_wrong += 1;
                    }
                }
            }
        }
        assert_eq!(
            dec.detected_mode(),
            CrcMode::Chained,
            "{}",
            dec.mode_explanation()
        );
    }
    let recall = correct as f64 / eligible as f64;
    eprintln!("simulated capture: {correct}/{eligible} = {recall:.4}, wrong {wrong}");
    assert_eq!(exact_wrong, 0);
    assert_eq!(wrong, 0);
    assert!(recall >= 0.97, "recall {recall}");
}

#[test]
fn certs_identify_size_line_lost() {
    let (cat, certs) = demo();
    let k = |n| key(&by_name(&certs, n));
    let hashed = [k("alice"), k("erin"), k("kiosk")];
    let logged = chained_values(&hashed);
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Chained);
    dec.observe(obs(1, hashed[0].0, logged[0], 0));
    // the `cert size` line of request 2 was lost: every size is tried
    let id = dec.observe(CertObservation {
        cnt: 2,
        size: None,
        logged_crc: logged[1],
        preceded_by_gap: 0,
    });
    assert_eq!(id.cert.unwrap().display_name(), "erin@contoso.example");
    // and with a lost request before it as well
    let id = dec.observe(CertObservation {
        cnt: 4,
        size: None,
        logged_crc: chained_values(&[hashed[0], hashed[1], hashed[2], k("bob")])[3],
        preceded_by_gap: 1,
    });
    assert_eq!(id.cert.unwrap().display_name(), "bob@contoso.example");
    assert_eq!(id.search_depth, 1);
}

#[test]
fn certs_identify_auto_conflict_is_ambiguous() {
    // the second value is X's plain CRC-32 and also continues the first
    // value with Y: undecided build type, so no identity
    let (a, n, logged) = (0x0102_0304_u32, 900u32, 0x7777_8888_u32);
    let cat = Arc::new(Catalog::from_certs([
        CertInfo::synthetic(700, a, "A"),
        CertInfo::synthetic(n, logged, "X"),
        CertInfo::synthetic(n, logged ^ crc::shift(a, n as u64), "Y"),
    ]));
    let mut dec = ChainDecoder::with_mode(cat.clone(), CrcMode::Auto);
    dec.observe(obs(1, 700, a, 0));
    let id = dec.observe(obs(2, n, logged, 0));
    assert!(id.ambiguous && id.cert.is_none(), "{id:?}");
    assert_eq!(id.candidates.len(), 2);
    // a forced mode decides
    let mut dec = ChainDecoder::with_mode(cat.clone(), CrcMode::Chained);
    dec.observe(obs(1, 700, a, 0));
    assert_eq!(
        dec.observe(obs(2, n, logged, 0))
            .cert
            .unwrap()
            .display_name(),
        "Y"
    );
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Plain);
    dec.observe(obs(1, 700, a, 0));
    assert_eq!(
        dec.observe(obs(2, n, logged, 0))
            .cert
            .unwrap()
            .display_name(),
        "X"
    );
}

#[test]
fn certs_identify_revision_for_swapped_lines_with_large_catalog() {
    // 3,000 keys: the reorder search is off, the late revision finds it
    let entries: Vec<CertInfo> = (0..3000u32)
        .map(|i| CertInfo::synthetic(700 + i % 300, i.wrapping_mul(0x9E37_79B9), &format!("s{i}")))
        .collect();
    let seq: Vec<(u32, u32)> = entries.iter().take(5).map(key).collect();
    let cat = Arc::new(Catalog::from_certs(entries));
    let logged = chained_values(&seq);
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Chained);
    let mut got: BTreeMap<u64, String> = BTreeMap::new();
    for &i in &[0usize, 2, 1, 3, 4] {
        let id = dec.observe(obs(i as u64, seq[i].0, logged[i], 0));
        if let Some(c) = id.cert {
            got.insert(i as u64, c.display_name().to_string());
        }
        for r in dec.take_revisions() {
            assert!(
                r.identification
                    .note
                    .as_ref()
                    .unwrap()
                    .contains("decoded later")
            );
            got.insert(
                r.cnt,
                r.identification.cert.unwrap().display_name().to_string(),
            );
        }
    }
    let want: BTreeMap<u64, String> = (0..5).map(|i| (i, format!("s{i}"))).collect();
    assert_eq!(got, want);
}

/// With an empty catalog and no notes the decoder takes a shortcut; its
/// answers, mode evidence and counts must be those of the full path.
#[test]
fn empty_catalog_shortcut_matches_the_full_path() {
    let empty = Arc::new(Catalog::default());
    for mode in [CrcMode::Auto, CrcMode::Plain, CrcMode::Chained] {
        let cfg = DecoderConfig {
            mode,
            ..DecoderConfig::default()
        };
        let mut full = ChainDecoder::new(empty.clone(), cfg);
        let mut fast = ChainDecoder::new(
            empty.clone(),
            DecoderConfig {
                notes: false,
                ..cfg
            },
        );
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for cnt in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let size = (!x.is_multiple_of(7)).then_some(300 + (x % 3) as u32);
            // Some values repeat (plain-mode evidence), most do not.
            let logged_crc = if x.is_multiple_of(5) {
                42
            } else {
                (x >> 16) as u32
            };
            if x.is_multiple_of(11) {
                full.note_missing_cert(size);
                fast.note_missing_cert(size);
            }
            if x.is_multiple_of(13) {
                full.note_gap(2);
                fast.note_gap(2);
            }
            let obs = CertObservation {
                cnt,
                size,
                logged_crc,
                preceded_by_gap: (x % 4) as u32,
            };
            let (a, b) = (full.observe(obs), fast.observe(obs));
            let facts = |i: &Identification| {
                (
                    i.cert.is_some(),
                    i.unknown,
                    i.identified_by,
                    i.ambiguous,
                    i.candidates.len(),
                    i.hypotheses,
                    i.search_depth,
                )
            };
            assert_eq!(facts(&a), facts(&b), "{mode:?} cnt {cnt}");
            assert!(b.note.is_none());
            assert_eq!(full.evidence(), fast.evidence(), "{mode:?} cnt {cnt}");
            assert!(full.take_revisions().is_empty() && fast.take_revisions().is_empty());
        }
        assert_eq!(full.counts(), fast.counts());
        assert_eq!(full.detected_mode(), fast.detected_mode());
        assert_eq!(full.effective_mode(), fast.effective_mode());
    }
}

/// Live input hands requests over in completion order, not time order: a
/// row's first and last times are its earliest and latest all the same.
#[test]
fn certs_summary_times_are_earliest_and_latest_whatever_the_order() {
    let (cat, _) = demo();
    let mut dec = ChainDecoder::with_mode(cat, CrcMode::Plain);
    let mut b = CertSummaryBuilder::new();
    for (cnt, secs) in [(1, 5.0), (2, 9.0), (3, 2.0), (4, 7.0)] {
        let id = dec.observe(obs(cnt, 1, 5, 0));
        b.add(
            &id,
            Some(1),
            &CertSighting {
                time: Some(EventTime::Elapsed(secs)),
                pid: Some(7),
                outcome: Outcome::CertOk,
                ..Default::default()
            },
        );
    }
    let rows = b.build();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].requests, 4);
    assert_eq!(rows[0].first_seen.as_deref(), Some("2.00000000"));
    assert_eq!(rows[0].last_seen.as_deref(), Some("9.00000000"));
}

proptest! {
    /// A size's one table, probed with `state ^ unshift(logged)`, finds the
    /// same candidates as a table made for the logged value (the states
    /// `unshift(logged ^ crc)`): the shift is linear.
    #[test]
    fn certs_targets_of_a_size_find_as_a_table_made_per_value(
        logged in any::<u32>(),
        noise in proptest::collection::vec(any::<u32>(), 8),
    ) {
        let (cat, _) = demo();
        for class in cat.classes() {
            let per_size = Targets::new(&cat, Some(class.size), logged);
            let per_value = Targets::Merged(Targets::merged(&cat, std::slice::from_ref(class), logged));
            let hits = class.crcs.iter().map(|&crc| class.unshift.apply(logged ^ crc));
            for state in hits.chain(noise.iter().copied()) {
                let per_size: Vec<u32> = per_size.find(state).iter().map(|p| p.1).collect();
                let per_value: Vec<u32> = per_value.find(state).iter().map(|p| p.1).collect();
                prop_assert_eq!(per_size, per_value);
            }
            prop_assert!(!per_size.find(class.unshift.apply(logged ^ class.crcs[0])).is_empty());
        }
    }

    #[test]
    fn certs_shift_is_linear(size in 1u64..5000, a in any::<u32>(), b in any::<u32>()) {
        let op = crc::ShiftOp::new(size);
        prop_assert_eq!(op.apply(a ^ b), op.apply(a) ^ op.apply(b));
        let inv = op.inverse();
        prop_assert_eq!(inv.apply(a ^ b), inv.apply(a) ^ inv.apply(b));
    }
}

/// A row is found by its catalog entry's address, and a distinct entry
/// with the same thumbprint still finds it; pids are listed once each.
#[test]
fn certs_summary_rows_by_entry_and_by_thumbprint() {
    let (_, certs) = demo();
    let entry = certs[0].clone();
    let twin = Arc::new((*entry).clone());
    assert!(!Arc::ptr_eq(&entry, &twin));
    let mut b = CertSummaryBuilder::new();
    for (cert, pid) in [
        (&entry, 7),
        (&twin, 8),
        (&entry, 7),
        (&entry, 9),
        (&twin, 7),
    ] {
        let ident = Identification {
            cert: Some(cert.clone()),
            identified_by: Some(IdentifiedBy::PlainCrc),
            ..Identification::default()
        };
        b.add(
            &ident,
            Some(cert.der_size),
            &CertSighting {
                pid: Some(pid),
                outcome: Outcome::CertOk,
                ..Default::default()
            },
        );
    }
    let rows = b.build();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].requests, 5);
    assert_eq!(rows[0].pids, [7, 8, 9]);
    assert_eq!(rows[0].outcomes["cert_ok"], 5);
}
