//! The page's style sheet: light by default, dark on request, always light
//! on paper, with one colour per charted service. All of it is our own
//! constant text and numbers, written as `PreEscaped` (a style element's
//! content is not parsed as markup, so escaping would break its quotes).

use super::{MAX_BARS, MAX_SERIES};
use crate::render::ReportView;
use maud::{Markup, PreEscaped, html};
use std::fmt::Write as _;

/// Series colours for light backgrounds; index `i` is the `i`-th service
/// by bytes in both charts and the table swatches.
const LIGHT_PALETTE: [&str; 10] = [
    "#3b6fb6", "#e07b1a", "#d0414c", "#3f9142", "#8e62bd", "#23968a", "#c49a1d", "#d860b4",
    "#8a6a4c", "#1496b8",
];
/// The same hues, lighter, for dark backgrounds.
const DARK_PALETTE: [&str; 10] = [
    "#6fa0e8", "#f5a54a", "#f07178", "#74c66b", "#b592df", "#4cc4b5", "#e5c453", "#f59bd6",
    "#c29e79", "#4cc9e8",
];

const LIGHT_VARS: &str = "--bg:#ffffff;--fg:#1f2328;--muted:#5b636d;--border:#d5dbe1;\
--stripe:#f6f8fa;--card:#f6f8fa;--grid:#e4e8ec;--axis:#8c959f;--other:#aab2bd;\
--warn-bg:#fff8db;--warn-line:#c9a227;";
const DARK_VARS: &str = "--bg:#0f1318;--fg:#e3e8ee;--muted:#9aa3ad;--border:#343c46;\
--stripe:#151b22;--card:#161c23;--grid:#262d36;--axis:#6e7781;--other:#5d6773;\
--warn-bg:#2b2614;--warn-line:#9e7a10;";

const STYLE: &str = "\
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 28px 40px}
h1{font-size:1.75em;margin:0 0 .15em;line-height:1.2}
h2{font-size:1.2em;margin:2.2em 0 .7em;padding-bottom:.3em;border-bottom:1px solid var(--border)}
.sub{color:var(--muted);margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px;margin:18px 0 14px}
.card{background:var(--card);border:1px solid var(--border);border-radius:8px;padding:10px 14px}
.card .k{color:var(--muted);font-size:.82em}
.card .v{font-size:1.4em;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.card .d{color:var(--muted);font-size:.8em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;break-inside:avoid}
th,td{padding:4px 10px;border-bottom:1px solid var(--border);text-align:left;vertical-align:top}
thead th{font-weight:600;color:var(--muted);font-size:.85em;white-space:nowrap;border-bottom-width:2px}
td.n,th.n{text-align:right;white-space:nowrap}
td.a,td.t,table.buckets td{white-space:nowrap}
table.scans td.e{min-width:14em}
table.buckets{font-size:.9em}
table.buckets th,table.buckets td{padding:3px 7px}
tbody tr:nth-child(even){background:var(--stripe)}
tr.rest td{color:var(--muted);font-style:italic}
table.kv th{width:10em;color:var(--muted);font-weight:500}
table.kv ul{margin:0;padding-left:1.1em}
.bad{color:var(--fg);background:var(--warn-bg);border-radius:3px;padding:0 4px}
.approx{text-decoration:underline dotted;cursor:help}
.m{color:var(--muted)}
.note{color:var(--muted);font-size:.9em;margin:.6em 0}
.warn{background:var(--warn-bg);border-left:3px solid var(--warn-line);padding:6px 10px;color:var(--fg)}
figure{margin:0 0 14px;break-inside:avoid}
figcaption{color:var(--muted);font-size:.9em;margin-top:4px}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{fill:var(--fg);font-size:12px}
svg.chart text.m,svg.chart tspan.m{fill:var(--muted)}
svg.chart .axis text{fill:var(--muted);font-size:11px}
svg.chart .grid{stroke:var(--grid);stroke-width:1}
svg.chart .base{stroke:var(--axis);stroke-width:1}
svg.chart .hover rect{fill:transparent}
svg.chart .hover rect:hover{fill:var(--fg);fill-opacity:.08}
svg.chart .peak line{stroke:var(--fg);stroke-width:1.2;stroke-dasharray:5 4}
svg.chart .peak rect{fill:var(--fg);fill-opacity:.07}
svg.chart .peak text{font-size:11.5px;paint-order:stroke;stroke:var(--bg);stroke-width:3px}
tr.peak td{font-weight:600}
.legend{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:.9em}
svg.sw{display:inline-block;vertical-align:-1px;margin-right:6px}
details summary{cursor:pointer;color:var(--muted);margin:6px 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
footer{margin-top:3em;color:var(--muted);font-size:.85em;border-top:1px solid var(--border);padding-top:.6em}
@media print{body{font-size:10.5px}main{max-width:none;padding:0}h2{break-after:avoid}tr,figure,.cards{break-inside:avoid}thead{display:table-header-group}.scroll{overflow:visible}svg.chart .hover{display:none}}
";

/// The `<style>` element, with a colour for every service the charts and
/// tables may paint.
pub(super) fn style_element(view: &ReportView) -> Markup {
    let colours = view
        .read
        .services
        .len()
        .min(MAX_BARS.max(MAX_SERIES))
        .max(view.report.timeseries.top_services.len().min(MAX_SERIES));
    let light = format!("{LIGHT_VARS}{}", palette_vars(colours, false));
    let dark = format!("{DARK_VARS}{}", palette_vars(colours, true));
    // Light by default, dark on request, and always light on paper.
    let sheet = format!(
        "\n:root{{color-scheme:light dark;{light}}}\n\
         @media (prefers-color-scheme:dark){{:root{{{dark}}}}}\n\
         @media print{{:root{{color-scheme:light;{light}}}}}\n{STYLE}"
    );
    html! { style { (PreEscaped(sheet)) } }
}

/// Palette custom properties for `n` colours; beyond the fixed ten, hues
/// step by the golden angle so neighbours stay apart.
fn palette_vars(n: usize, dark: bool) -> String {
    let mut vars = String::new();
    for i in 0..n {
        let fixed = if dark {
            DARK_PALETTE.get(i)
        } else {
            LIGHT_PALETTE.get(i)
        };
        match fixed {
            Some(c) => {
                let _ = write!(vars, "--c{i}:{c};");
            }
            None => {
                let hue = (i as f64 * 137.508) % 360.0;
                let light = if dark { 66 } else { 46 };
                let _ = write!(vars, "--c{i}:hsl({hue:.0} 55% {light}%);");
            }
        }
    }
    vars
}
