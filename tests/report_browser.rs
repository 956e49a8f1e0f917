//! `portclass report --format html` in a real browser: headless Chromium
//! renders the page of `fixtures/sample.pcapng` in light and dark mode, the
//! screenshots must not be blank and must differ as the colour schemes do,
//! and the page text (Chromium's DOM dump) must name the top services that
//! `portclass read` finds; the page of `fixtures/scan-vertical.pcapng` must
//! show its port scan.
//!
//! Runs when Debian's `chromium` is installed at `/usr/bin/chromium` (CI
//! installs it); elsewhere it prints a notice and passes.

mod common;

use common::{fixture, portclass};
use std::collections::HashSet;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one Chromium run may take before it is killed.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(90);

/// Runs Chromium headless on `page` with `extra` arguments, in its own
/// process group, and kills that group if it overruns.
fn chromium(page: &Path, profile: &Path, extra: &[String]) -> Output {
    let mut command = Command::new(CHROMIUM);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so the renderer and helper processes can be ended
        // with it.
        .process_group(0);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {CHROMIUM}: {e}"));
    let group = child.id();
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(CHROMIUM_TIMEOUT) == Err(mpsc::RecvTimeoutError::Timeout) {
            // Only the group this test started, by its id.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{group}")])
                .status();
            true
        } else {
            false
        }
    });
    let output = child.wait_with_output().expect("wait for chromium");
    let _ = done.send(());
    let killed = watchdog.join().unwrap_or(false);
    assert!(
        !killed,
        "chromium took longer than {CHROMIUM_TIMEOUT:?} and was killed; stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "chromium failed ({}); stderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// An RGBA screenshot.
struct Image {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Image {
    fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        [
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        ]
    }

    fn distinct_colours(&self) -> usize {
        self.rgba
            .chunks_exact(4)
            .map(|p| [p[0], p[1], p[2]])
            .collect::<HashSet<_>>()
            .len()
    }

    /// Share of pixels that differ from the top-left one (the background).
    fn painted_share(&self) -> f64 {
        let background = self.pixel(0, 0);
        let painted = self
            .rgba
            .chunks_exact(4)
            .filter(|p| p[..3] != background[..3])
            .count();
        painted as f64 / (self.width * self.height) as f64
    }
}

fn luminance([r, g, b, _]: [u8; 4]) -> f64 {
    0.2126 * f64::from(r) + 0.7152 * f64::from(g) + 0.0722 * f64::from(b)
}

fn read_png(path: &Path) -> Image {
    let file = std::fs::File::open(path)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}", path.display()));
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{}: not a PNG: {e}", path.display()));
    let mut buffer = vec![
        0;
        reader
            .output_buffer_size()
            .expect("PNG size fits in memory")
    ];
    let frame = reader
        .next_frame(&mut buffer)
        .unwrap_or_else(|e| panic!("{}: bad PNG data: {e}", path.display()));
    buffer.truncate(frame.buffer_size());
    assert_eq!(
        frame.bit_depth,
        png::BitDepth::Eight,
        "{}: unexpected bit depth",
        path.display()
    );
    let rgba = match frame.color_type {
        png::ColorType::Rgba => buffer,
        png::ColorType::GrayscaleAlpha => buffer
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        other => panic!("{}: unexpected colour type {other:?}", path.display()),
    };
    Image {
        width: frame.width,
        height: frame.height,
        rgba,
    }
}

/// Writes the HTML report of `capture` (with `extra` flags) to `page`.
fn write_report(capture: &Path, page: &Path, extra: &[&str]) {
    let mut args = vec![
        "report".as_ref(),
        capture.as_os_str(),
        "--format".as_ref(),
        "html".as_ref(),
        "--out".as_ref(),
        page.as_os_str(),
    ];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    portclass(&args).assert_code(0);
}

/// The text of an HTML document: tags dropped, the common entities decoded,
/// whitespace collapsed.
fn page_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(ch),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn html_report_renders_in_chromium() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!(
            "notice: {CHROMIUM} not found; skipping the browser test (apt-get install chromium)"
        );
        return;
    }
    let sample = fixture("sample.pcapng");
    let dir = tempfile::tempdir().expect("temporary directory");
    let page = dir.path().join("report.html");

    portclass(&[
        "report".as_ref(),
        sample.as_os_str(),
        "--format".as_ref(),
        "html".as_ref(),
        "--out".as_ref(),
        page.as_os_str(),
    ])
    .assert_code(0);
    let html = std::fs::read_to_string(&page)
        .unwrap_or_else(|e| panic!("no report at {}: {e}", page.display()));
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "--format html wrote no HTML page; it starts:\n{}",
        html.chars().take(200).collect::<String>()
    );
    assert!(html.len() < 1_000_000, "page of {} bytes", html.len());

    // The services `read` puts on top.
    let read = portclass(&[
        "read".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        sample.as_os_str(),
    ])
    .assert_code(0)
    .json();
    let top: Vec<String> = read["services"]
        .as_array()
        .expect("services array")
        .iter()
        .take(3)
        .map(|s| s["service"].as_str().expect("service name").to_string())
        .collect();
    assert_eq!(top.len(), 3, "sample.pcapng has at least three services");

    // The DOM Chromium built: the page parsed and the services are in its text.
    let dom = chromium(
        &page,
        &dir.path().join("profile-dom"),
        &["--dump-dom".to_string()],
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("</html>"), "no DOM dumped:\n{dom}");
    let text = page_text(&dom);
    assert!(text.contains("Traffic report"), "{text}");
    for name in &top {
        assert!(
            text.split(' ').any(|word| word == name),
            "service {name} is not in the page text:\n{text}"
        );
    }
    for heading in [
        "Overview",
        "By service",
        "Port scans",
        "Top hosts",
        "Top conversations",
        "Top services over time",
    ] {
        assert!(text.contains(heading), "{heading} missing:\n{text}");
    }
    assert!(text.contains("identified by"), "{text}");
    // One peak (06:32:48, 154,295 bytes: 1.2 Mbit/s, checked with tshark in
    // tests/report/figures.rs): the card, the chart's annotation and the
    // marked row of the figures say the same.
    for peak in [
        "peak rate 1.2 Mbit/s busiest 1 s, from 2026-11-26 06:32:48.000",
        "peak 1.2 Mbit/s: busiest 1 s, from 2026-11-26 06:32:48.000",
        "06:32:48.000 (peak) 1.2 Mbit/s",
        "each step is one 1 s bucket",
    ] {
        assert!(text.contains(peak), "{peak:?} missing:\n{text}");
    }
    assert!(text.contains("No port scans found ("), "{text}");

    // Light and dark: both painted, with many colours (text, bars, the
    // stacked areas), and the background of each as its scheme says.
    let mut backgrounds = Vec::new();
    for (scheme, flags) in [
        ("light", vec![]),
        (
            "dark",
            vec![
                "--force-dark-mode".to_string(),
                "--blink-settings=preferredColorScheme=0".to_string(),
            ],
        ),
    ] {
        let shot = dir.path().join(format!("{scheme}.png"));
        let mut args = vec![
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".to_string(),
        ];
        args.extend(flags);
        chromium(&page, &dir.path().join(format!("profile-{scheme}")), &args);
        let image = read_png(&shot);
        assert_eq!(
            (image.width, image.height),
            (1280, 2000),
            "{scheme} screenshot size"
        );
        let colours = image.distinct_colours();
        assert!(
            colours >= 50,
            "{scheme} screenshot looks blank: {colours} colours"
        );
        let painted = image.painted_share();
        assert!(
            (0.02..0.9).contains(&painted),
            "{scheme} screenshot: {:.1}% of pixels differ from the background",
            painted * 100.0
        );
        eprintln!(
            "{scheme}: {colours} colours, {:.1}% painted, background luminance {:.0}",
            painted * 100.0,
            luminance(image.pixel(0, 0))
        );
        backgrounds.push((scheme, luminance(image.pixel(0, 0))));
    }
    assert!(
        backgrounds[0].1 > 200.0,
        "light background: {backgrounds:?}"
    );
    assert!(backgrounds[1].1 < 60.0, "dark background: {backgrounds:?}");

    // A scan and tunnels: the port scans table, the tunnel column.
    let scan_page = dir.path().join("scan.html");
    write_report(&fixture("scan-vertical.pcapng"), &scan_page, &["--decap"]);
    let dom = chromium(
        &scan_page,
        &dir.path().join("profile-scan"),
        &["--dump-dom".to_string()],
    );
    let text = page_text(&String::from_utf8_lossy(&dom.stdout));
    for expected in [
        "port scans 1 found",
        "Port scans kind transport source target probed open closed unanswered",
        "vertical tcp 10.77.1.2 10.77.1.1 1,000 ports 3 997 0",
        "ports 1-1000; open 22, 80, 443",
        "tunnel service port packets",
        "Tunnels None: no frame came through a tunnel",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }

    // Keep the pictures for a look when asked: PORTCLASS_BROWSER_SHOTS=DIR.
    if let Some(keep) = std::env::var_os("PORTCLASS_BROWSER_SHOTS") {
        let keep = Path::new(&keep);
        std::fs::create_dir_all(keep).expect("create PORTCLASS_BROWSER_SHOTS");
        for name in ["report.html", "light.png", "dark.png"] {
            std::fs::copy(dir.path().join(name), keep.join(name)).expect("copy for a look");
        }
    }
}
