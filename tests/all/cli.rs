//! The `shanshui` command, run as a user runs it: exit codes, output
//! formats, and messages for mistakes.

use crate::util::{collection, feature, geodata_dir, square, Scratch};
use std::process::{Command, Output};

fn shanshui(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shanshui"))
        .args(args)
        .env_remove("SHANSHUI_DATA")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn check_prints_a_summary_of_every_layer() {
    let o = shanshui(&["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for layer in [
        "district",
        "reservoir_zones",
        "nature_reserves",
        "reservoir",
        "tourism_belts",
        "projects",
        "villages",
    ] {
        assert!(out.contains(layer), "summary lacks {layer}:\n{out}");
    }
    assert!(out.contains(" ha") && out.contains(" km"), "{out}");
    assert!(out.contains("all layers valid"), "{out}");
}

#[test]
fn check_on_bad_data_exits_1_and_names_the_problem() {
    let open =
        r#"{"type":"Polygon","coordinates":[[[117,40],[117.1,40],[117.1,40.1],[117,40.1]]]}"#;
    let s = Scratch::one_layer("polygon", &collection(&[feature("a", open)]));
    let o = shanshui(&["check", "--data", s.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("l.geojson: feature #0 (id \"a\"): exterior ring is not closed"),
        "{err}"
    );
}

#[test]
fn within_as_geojson_is_a_feature_collection_with_measures() {
    let o = shanshui(&[
        "query",
        "within",
        "--layer",
        "projects",
        "--zone",
        "reservoir_zones/zone-1",
        "--partly",
        "--format",
        "geojson",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    let features = v["features"].as_array().unwrap();
    assert!(!features.is_empty());
    for f in features {
        let rel = f["properties"]["relation"].as_str().unwrap();
        assert!(["inside", "partly", "touches"].contains(&rel));
        assert_eq!(f["properties"]["layer"], "projects");
        assert!(f["geometry"]["type"].is_string());
    }
    assert!(features
        .iter()
        .any(|f| f["properties"]["overlap_ha"].is_number()));
}

#[test]
fn within_as_csv_has_a_header_and_one_row_per_feature() {
    let csv = shanshui(&[
        "query",
        "within",
        "--layer",
        "projects",
        "--zone",
        "reservoir_zones/zone-1",
        "--partly",
        "--format",
        "csv",
    ]);
    let json = shanshui(&[
        "query",
        "within",
        "--layer",
        "projects",
        "--zone",
        "reservoir_zones/zone-1",
        "--partly",
        "--format",
        "geojson",
    ]);
    let text = stdout(&csv);
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("layer,id,name_zh,name_en,relation"));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(lines.count(), v["features"].as_array().unwrap().len());
}

#[test]
fn a_geometry_file_can_be_the_zone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zone.geojson");
    // A box around Miyun town, where the district's offices and many
    // society projects are.
    std::fs::write(&path, square(116.80, 40.34, 0.08)).unwrap();
    let o = shanshui(&[
        "query",
        "within",
        "--layer",
        "villages",
        "--zone",
        &format!("@{}", path.display()),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).lines().count() > 2, "{}", stdout(&o));
}

#[test]
fn at_nearest_and_near_answer() {
    let at = shanshui(&["query", "at", "--lon", "116.95", "--lat", "40.50"]);
    assert!(at.status.success(), "{}", stderr(&at));
    assert!(stdout(&at).contains("district"), "{}", stdout(&at));

    let nearest = shanshui(&[
        "query", "nearest", "--layer", "villages", "--lon", "116.84", "--lat", "40.38", "-k", "3",
    ]);
    assert!(nearest.status.success(), "{}", stderr(&nearest));
    assert!(
        stdout(&nearest).contains("(3 features)"),
        "{}",
        stdout(&nearest)
    );

    let near = shanshui(&[
        "query",
        "near",
        "--layer",
        "villages",
        "--of",
        "tourism_belts/belt-north",
        "--distance",
        "2000",
        "--format",
        "csv",
    ]);
    assert!(near.status.success(), "{}", stderr(&near));
    assert!(stdout(&near).starts_with("layer,id,name_zh,name_en,distance_m"));
}

#[test]
fn mistakes_exit_2_with_a_message_that_says_what_to_fix() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "query",
                "within",
                "--layer",
                "nope",
                "--zone",
                "reservoir_zones/zone-1",
            ],
            "no layer `nope`; the layers are: district",
        ),
        (
            &[
                "query",
                "within",
                "--layer",
                "projects",
                "--zone",
                "reservoir_zones/zone-9",
            ],
            "layer `reservoir_zones` has no feature `zone-9`",
        ),
        (
            &["query", "within", "--layer", "projects", "--zone", "zone-1"],
            "neither a feature reference",
        ),
        (
            &[
                "query",
                "within",
                "--layer",
                "projects",
                "--zone",
                "villages/v-110118100201",
            ],
            "a zone must be a Polygon or MultiPolygon",
        ),
        (
            &[
                "query",
                "within",
                "--layer",
                "projects",
                "--zone",
                "{\"type\":\"Polygon\"",
            ],
            "malformed JSON",
        ),
        (
            &["query", "at", "--lon", "216", "--lat", "40"],
            "longitude 216 is outside -180..180",
        ),
        (
            &[
                "query", "nearest", "--layer", "villages", "--lon", "117", "--lat", "40", "-k", "0",
            ],
            "ask for 1 to",
        ),
        (
            &[
                "query",
                "near",
                "--layer",
                "villages",
                "--lon",
                "117",
                "--lat",
                "40",
                "--distance",
                "-5",
            ],
            "must be between 0 and",
        ),
        (
            &["serve", "--tile-budget-kb", "0"],
            "--tile-budget-kb must be at least 1",
        ),
        (
            &["serve", "--max-filter-depth", "0"],
            "--max-filter-depth must be at least 1",
        ),
        (
            &["synth", "--points", "5", "--out", "/dev/null/synth"],
            "cannot write the synthetic layers to /dev/null/synth",
        ),
    ];
    for (args, expect) in cases {
        let o = shanshui(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn data_flag_reads_another_district() {
    let s = Scratch::one_layer(
        "polygon",
        &collection(&[feature("a", &square(10.0, 50.0, 0.1))]),
    );
    let o = shanshui(&["check", "--data", s.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("scratch"));
    assert!(geodata_dir().join("layers.toml").is_file());
}

#[test]
fn export_writes_a_pyramid_that_decodes() {
    let out = tempfile::tempdir().unwrap();
    let o = shanshui(&[
        "export",
        "--out",
        out.path().to_str().unwrap(),
        "--minzoom",
        "8",
        "--maxzoom",
        "10",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("(100 %)"),
        "progress is reported: {}",
        stderr(&o)
    );
    // Every tile written decodes, and the z10 tile over the reservoir has
    // zone one in it.
    let mut count = 0;
    for z in 8..=10 {
        for x in std::fs::read_dir(out.path().join(z.to_string())).unwrap() {
            for y in std::fs::read_dir(x.unwrap().path()).unwrap() {
                let bytes = std::fs::read(y.unwrap().path()).unwrap();
                mvt_reader::Reader::new(bytes)
                    .unwrap()
                    .get_layer_names()
                    .unwrap();
                count += 1;
            }
        }
    }
    assert!(count >= 6, "{count} tiles");
    let t = shanshui::tile::TileCoord::containing(116.95, 40.50, 10);
    let path = out.path().join(format!("10/{}/{}.mvt", t.x, t.y));
    let reader = mvt_reader::Reader::new(std::fs::read(path).unwrap()).unwrap();
    assert!(reader
        .get_layer_names()
        .unwrap()
        .contains(&"reservoir_zones".to_string()));
    let tj: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("tiles.json")).unwrap()).unwrap();
    assert_eq!(tj["tiles"][0], "{z}/{x}/{y}.mvt");
    assert_eq!(tj["maxzoom"], 10);

    let bad = shanshui(&[
        "export",
        "--out",
        out.path().to_str().unwrap(),
        "--maxzoom",
        "23",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("both must be 0 to 22"),
        "{}",
        stderr(&bad)
    );
    let bad = shanshui(&[
        "export",
        "--out",
        out.path().to_str().unwrap(),
        "--bbox",
        "117,41,116,40",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("west must not exceed east"),
        "{}",
        stderr(&bad)
    );
}

/// SIGTERM while a request is in flight: the server stops taking
/// connections, answers that request whole, and exits cleanly.
#[cfg(unix)]
#[test]
fn sigterm_finishes_the_request_in_flight_then_exits() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let mut server = Command::new(env!("CARGO_BIN_EXE_shanshui"))
        .args(["serve", "--addr", "127.0.0.1:0", "--no-watch"])
        .env_remove("SHANSHUI_DATA")
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the server printed no address"
        );
        if let Some(rest) = line.trim().strip_prefix("http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };

    // A POST whose body arrives in two parts: in flight between them.
    let body = r#"{"type":"Polygon","coordinates":[[[116.8,40.3],[117.0,40.3],[117.0,40.5],[116.8,40.5],[116.8,40.3]]]}"#;
    let mut conn = TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "POST /query/within?layer=villages HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..20]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );

    conn.write_all(&body.as_bytes()[20..]).unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("\"numberMatched\""), "{reply}");

    let start = Instant::now();
    let status = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("stopped"), "{rest}");
}

#[test]
fn synth_writes_layers_that_check_and_serve() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("synth");
    let o = shanshui(&[
        "synth",
        "--points",
        "200",
        "--polygons",
        "30",
        "--lines",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("200 points, 30 polygons and 5 lines"),
        "{}",
        stdout(&o)
    );
    let o = shanshui(&["--data", out.to_str().unwrap(), "check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = stdout(&o);
    // The bundled district and reservoir come along.
    for layer in ["district", "reservoir", "points", "polygons", "lines"] {
        assert!(summary.contains(layer), "{summary}");
    }
    assert!(summary.contains("237 features"), "{summary}");
}

/// The PMTiles archive's header, read by the v3 spec's byte layout (not
/// through the crate that wrote it): the same tiles as the folder export,
/// identical ones stored once, gzipped MVT, the zooms asked for, and the
/// TileJSON as metadata.
#[test]
fn export_writes_a_pmtiles_archive_with_the_folders_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("tiles");
    let archive = dir.path().join("miyun.pmtiles");
    for (format, out) in [("folder", &folder), ("pmtiles", &archive)] {
        let o = shanshui(&[
            "export",
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
            "--minzoom",
            "10",
            "--maxzoom",
            "13",
        ]);
        assert!(o.status.success(), "{format}: {}", stderr(&o));
    }
    let files = walk(&folder)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "mvt"))
        .count();
    let bytes = std::fs::read(&archive).unwrap();
    assert_eq!(&bytes[..7], b"PMTiles");
    assert_eq!(bytes[7], 3, "version");
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
    let (addressed, entries, contents) = (u64_at(72), u64_at(80), u64_at(88));
    assert_eq!(addressed as usize, files, "the folder export's tiles");
    assert!(
        contents <= entries && entries <= addressed,
        "{contents} {entries} {addressed}"
    );
    assert!(
        contents < addressed,
        "identical tiles stored once: {contents} of {addressed}"
    );
    assert_eq!((bytes[98], bytes[99]), (2, 1), "gzip tiles, MVT");
    assert_eq!((bytes[100], bytes[101]), (10, 13), "zooms");
    let (at, len) = (u64_at(24) as usize, u64_at(32) as usize);
    let mut meta = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&bytes[at..at + len]),
        &mut meta,
    )
    .unwrap();
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(meta["vector_layers"].as_array().unwrap().len(), 7);
    assert!(meta.get("tiles").is_none());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
