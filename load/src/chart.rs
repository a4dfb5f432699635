//! The PNG of a run: latency per second (p50, p99, max), deliveries per second, and the
//! server's CPU and RSS. Text is drawn with an embedded DejaVu font: no system fonts needed.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::report::Report;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}

type Points = Vec<(f64, f64)>;

fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    title: &str,
    y_desc: &str,
    x_max: f64,
    lines: &[(&str, RGBColor, Points)],
) -> anyhow::Result<()> {
    let y_max = lines.iter().flat_map(|(_, _, p)| p.iter().map(|(_, y)| *y)).fold(0.0f64, f64::max).max(1e-3) * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x_max.max(1.0), 0f64..y_max)?;
    chart.configure_mesh().x_desc("seconds into the run").y_desc(y_desc).light_line_style(WHITE.mix(0.0)).draw()?;
    for (label, color, points) in lines {
        let color = *color;
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?
            .label(*label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    Ok(())
}

pub fn draw(report: &Report, path: &Path) -> anyhow::Result<()> {
    register_font();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let root = BitMapBackend::new(path, (1000, 900)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(&report.name, ("sans-serif", 22))?;
    let panels = root.split_evenly((3, 1));
    let per_second = &report.per_second;
    let x_max =
        per_second.iter().map(|p| p.t_s as f64 + 1.0).chain(report.samples.iter().map(|s| s.t_s)).fold(1.0, f64::max);
    let series = |f: fn(&crate::report::SecondPoint) -> f64| -> Points {
        per_second.iter().map(|p| (p.t_s as f64 + 0.5, f(p))).collect()
    };
    panel(
        &panels[0],
        "end-to-end latency per second",
        "ms",
        x_max,
        &[
            ("p50", BLUE, series(|p| p.p50_ms)),
            ("p99", RED, series(|p| p.p99_ms)),
            ("max", RGBColor(150, 150, 150), series(|p| p.max_ms)),
        ],
    )?;
    panel(
        &panels[1],
        "deliveries per second (all viewers)",
        "messages/s",
        x_max,
        &[("delivered/s", GREEN, series(|p| p.delivered as f64))],
    )?;
    let cpu: Points = report.samples.iter().filter_map(|s| Some((s.t_s, s.server_cpu_percent?))).collect();
    let rss: Points = report.samples.iter().filter_map(|s| Some((s.t_s, s.server_rss_bytes? as f64 / 1e6))).collect();
    panel(
        &panels[2],
        "server: CPU (% of one core) and RSS (MB)",
        "% / MB",
        x_max,
        &[("cpu %", MAGENTA, cpu), ("rss MB", BLACK, rss)],
    )?;
    root.present()?;
    Ok(())
}
