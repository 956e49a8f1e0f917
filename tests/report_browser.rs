//! `portclass report --format html` in a real browser: headless Chromium
//! renders the page of `fixtures/sample.pcapng` in light and dark mode, the
//! screenshots must not be blank and must differ as the colour schemes do,
//! and the page text (Chromium's DOM dump) must name the top services that
//! `portclass read` finds; the page of `fixtures/scan-vertical.pcapng` must
//! show its port scan. A report of a capture with a hostile file name and
//! a hostile `--port-db` must put none of their markup into the DOM.
//!
//! Runs when Debian's `chromium` is installed at `/usr/bin/chromium` (CI
//! installs it); elsewhere it prints a notice and passes.

mod common;

use common::{fixture, portclass, skipped};
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
        skipped(format!("{CHROMIUM} not found (apt-get install chromium)"));
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

/// The capture's file name: markup that runs script if it is not escaped.
const HOSTILE_CAPTURE: &str = "<img src=x onerror=alert(1)>.pcap";
/// Service names and descriptions that try element, attribute and
/// end-tag injection; a user file's name field is any run of non-blanks.
const HOSTILE_NAME_80: &str =
    "<img/src/onerror=window.__pwned=3>\"/onmouseover=\"window.__pwned=4\"";
const HOSTILE_DESCRIPTION_80: &str = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> \" onmouseover=\"window.__pwned=5\" x='";
const HOSTILE_NAME_443: &str = "<svg/onload=window.__pwned=6>";
const HOSTILE_DESCRIPTION_443: &str = "</title></span><script>window.__pwned=7</script>&amp;";

/// Appended to a copy of the page: turns `alert` into a record, then
/// after the load event (and the error events of any image) writes what
/// the DOM holds into `<pre id="probe">` as JSON: whether any injected
/// script ran, the element names, the `on*`/`src`/`href` attributes, and
/// the texts and attribute values the hostile strings should be found in.
const PROBE: &str = r#"<script>
window.alert = function (m) { window.__pwned = 'alert(' + m + ')'; };
window.addEventListener('load', function () {
  setTimeout(function () {
    var all = Array.prototype.slice.call(document.querySelectorAll('*'));
    var active = [];
    all.forEach(function (el) {
      Array.prototype.forEach.call(el.attributes, function (a) {
        if (/^on/i.test(a.name) || a.name === 'src' || a.name === 'href') {
          active.push(el.tagName + ' ' + a.name);
        }
      });
    });
    var texts = function (selector) {
      return Array.prototype.map.call(document.querySelectorAll(selector), function (e) { return e.textContent; });
    };
    var values = function (selector, name) {
      return Array.prototype.map.call(document.querySelectorAll(selector), function (e) { return e.getAttribute(name); });
    };
    var probe = document.createElement('pre');
    probe.id = 'probe';
    probe.textContent = JSON.stringify({
      pwned: window.__pwned === undefined ? null : String(window.__pwned),
      elements: all.map(function (e) { return e.tagName.toLowerCase(); }),
      active_attributes: active,
      title: document.title,
      code: texts('code'),
      titles: values('[title]', 'title'),
      named_spans: texts('td > span[title]'),
      bar_services: values('[data-service]', 'data-service')
    });
    document.body.appendChild(probe);
  }, 0);
});
</script>
"#;

/// What [`PROBE`] found in the DOM Chromium built from `page` (the probe
/// appended to a copy of it).
fn probe_dom(page: &Path, profile: &Path) -> serde_json::Value {
    let html = std::fs::read_to_string(page)
        .unwrap_or_else(|e| panic!("no page at {}: {e}", page.display()));
    let probed = page.with_extension("probed.html");
    std::fs::write(&probed, format!("{html}{PROBE}")).expect("write the probed page");
    let dom = chromium(
        &probed,
        profile,
        &[
            "--dump-dom".to_string(),
            // Lets the load event, the image errors and the probe's timer run.
            "--virtual-time-budget=5000".to_string(),
        ],
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let start = dom
        .find("<pre id=\"probe\">")
        .unwrap_or_else(|| panic!("the probe wrote nothing; DOM:\n{dom}"));
    let rest = &dom[start + "<pre id=\"probe\">".len()..];
    let end = rest.find("</pre>").expect("the probe's end");
    // The dump escapes the text as HTML.
    let json = rest[..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("probe output is not JSON ({e}): {json}"))
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn hostile_names_stay_text_in_chromium() {
    if !Path::new(CHROMIUM).exists() {
        skipped(format!("{CHROMIUM} not found (apt-get install chromium)"));
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let capture = dir.path().join(HOSTILE_CAPTURE);
    std::fs::copy(fixture("sample.pcapng"), &capture).expect("copy the fixture");
    let port_db = dir.path().join("hostile-port-db.tsv");
    std::fs::write(
        &port_db,
        format!(
            "# every field a user file sets, hostile\n\
             80\ttcp\t{HOSTILE_NAME_80}\t{HOSTILE_DESCRIPTION_80}\n\
             443\ttcp\t{HOSTILE_NAME_443}\t{HOSTILE_DESCRIPTION_443}\n"
        ),
    )
    .expect("write the port database");
    let page = dir.path().join("report.html");
    write_report(
        &capture,
        &page,
        &[
            "--port-db",
            port_db.to_str().expect("a UTF-8 temporary path"),
            "--no-system-services",
        ],
    );

    let found = probe_dom(&page, &dir.path().join("profile-hostile"));
    assert_eq!(found["pwned"], serde_json::Value::Null, "{found:#}");
    let elements = strings(&found["elements"]);
    for injected in ["img", "iframe", "object", "embed", "a", "form", "input"] {
        assert!(
            !elements.iter().any(|e| e == injected),
            "an <{injected}> element came from the data: {found:#}"
        );
    }
    assert_eq!(
        elements.iter().filter(|e| *e == "script").count(),
        1,
        "a <script> besides the probe: {found:#}"
    );
    assert_eq!(
        strings(&found["active_attributes"]),
        Vec::<String>::new(),
        "event handler or source attributes: {found:#}"
    );

    // Each hostile string is whole, as text or as one attribute's value.
    let name = capture.to_str().expect("a UTF-8 temporary path");
    assert_eq!(
        found["title"],
        format!("Traffic report: {name}"),
        "{found:#}"
    );
    assert!(
        strings(&found["code"]).iter().any(|c| c == name),
        "{found:#}"
    );
    let titles = strings(&found["titles"]);
    for description in [HOSTILE_DESCRIPTION_80, HOSTILE_DESCRIPTION_443] {
        assert!(
            titles.iter().any(|t| t == description),
            "{description:?} is not one title attribute: {found:#}"
        );
    }
    let spans = strings(&found["named_spans"]);
    let bars = strings(&found["bar_services"]);
    for service in [HOSTILE_NAME_80, HOSTILE_NAME_443] {
        assert!(
            spans.iter().any(|s| s == service),
            "{service:?} in the table: {found:#}"
        );
        assert!(
            bars.iter().any(|s| s == service),
            "{service:?} in the chart: {found:#}"
        );
    }

    // The probe sees an injection when there is one: the same page with
    // the service name's escaping undone.
    let html = std::fs::read_to_string(&page).expect("the report");
    let escaped = "&lt;img/src/onerror=window.__pwned=3&gt;";
    assert!(
        html.contains(escaped),
        "the name is not in the page escaped"
    );
    let broken = dir.path().join("broken.html");
    std::fs::write(
        &broken,
        html.replace(escaped, "<img/src/onerror=window.__pwned=3>"),
    )
    .expect("write the broken page");
    let found = probe_dom(&broken, &dir.path().join("profile-broken"));
    assert_eq!(found["pwned"], "3", "{found:#}");
    assert!(
        strings(&found["elements"]).iter().any(|e| e == "img"),
        "{found:#}"
    );
    assert!(
        !strings(&found["active_attributes"]).is_empty(),
        "{found:#}"
    );
}
