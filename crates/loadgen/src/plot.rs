//! SVG charts of a suite run (plotters, SVG backend, no font files needed:
//! text is written as SVG `<text>` and drawn by the browser).

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use crate::record::Record;

/// Line colours, in the order series appear (colour-blind friendly set).
const COLORS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
];

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// (x, y) points, x ascending.
    pub points: Vec<(f64, f64)>,
}

/// Groups `records` of `workload` by target into series of (`x`, `y`).
pub fn series(records: &[Record], workload: &str, x: &str, y: &str) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for r in records.iter().filter(|r| r.workload == workload) {
        let (Some(xv), Some(yv)) = (r.num(x), r.num(y)) else {
            continue;
        };
        match out.iter_mut().find(|s| s.name == r.target) {
            Some(s) => s.points.push((xv, yv)),
            None => out.push(Series {
                name: r.target.clone(),
                points: vec![(xv, yv)],
            }),
        }
    }
    for s in &mut out {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

/// How the y axis is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YScale {
    /// From 0 to a little above the largest value.
    Linear,
    /// Logarithmic (latencies spanning decades).
    Log,
}

/// A line chart with a logarithmic x axis (1, 10, 100, ... clients).
pub fn line_chart(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    data: &[Series],
    yscale: YScale,
) -> Result<()> {
    let pts = data.iter().flat_map(|s| s.points.iter());
    let (mut xmin, mut xmax, mut ymin, mut ymax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        xmin = xmin.min(x);
        xmax = xmax.max(x);
        ymin = ymin.min(y);
        ymax = ymax.max(y);
    }
    if xmin > xmax {
        return Err(anyhow!("no data for chart {title:?}"));
    }
    let err = |e| anyhow!("draw {}: {e:?}", path.display());
    let root = SVGBackend::new(path, (820, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(84);
    let xr = ((xmin * 0.7).max(0.5)..xmax * 1.4).log_scale();
    // Label 1, 2, 5, 10, 20, 50, ... (the log axis offers every integer).
    let fmt_x = |x: &f64| {
        let decade = 10f64.powf(x.log10().floor());
        let m = x / decade;
        if [1.0, 2.0, 5.0].iter().any(|k| (m - k).abs() < 1e-9) {
            format!("{x:.0}")
        } else {
            String::new()
        }
    };
    let fmt_y = |y: &f64| human(*y);
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(x_desc)
                .y_desc(y_desc)
                .x_label_formatter(&fmt_x)
                .y_label_formatter(&fmt_y)
                .axis_desc_style(("sans-serif", 18))
                .label_style(("sans-serif", 15))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(err)?;
            for (i, s) in data.iter().enumerate() {
                let c = COLORS[i % COLORS.len()];
                chart
                    .draw_series(LineSeries::new(s.points.clone(), c.stroke_width(2)))
                    .map_err(err)?
                    .label(s.name.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(2))
                    });
                chart
                    .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, c.filled())))
                    .map_err(err)?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 14))
                .draw()
                .map_err(err)?;
        }};
    }
    match yscale {
        YScale::Linear => {
            let chart = builder
                // Head room above the data for the legend.
                .build_cartesian_2d(xr, 0.0..(ymax * 1.6).max(1.0))
                .map_err(err)?;
            draw!(chart);
        }
        YScale::Log => {
            let lo = (ymin * 0.5).max(1.0);
            let chart = builder
                .build_cartesian_2d(xr, (lo..(ymax * 40.0).max(lo * 10.0)).log_scale())
                .map_err(err)?;
            draw!(chart);
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

/// 1234567 -> "1.2M", 45300 -> "45k", 12.5 -> "12.5".
pub fn human(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 || (a >= 1e3 && (v / 1e3).fract() == 0.0) {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_group_by_target_and_sort_by_x() {
        let rs = vec![
            Record::new("echo", "a")
                .int("conns", 10)
                .float("rt_per_s", 2.0),
            Record::new("echo", "a")
                .int("conns", 1)
                .float("rt_per_s", 1.0),
            Record::new("echo", "b")
                .int("conns", 1)
                .float("rt_per_s", 3.0),
            Record::new("bulk", "a")
                .int("conns", 1)
                .float("rt_per_s", 9.0),
        ];
        let s = series(&rs, "echo", "conns", "rt_per_s");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "a");
        assert_eq!(s[0].points, vec![(1.0, 1.0), (10.0, 2.0)]);
        assert_eq!(s[1].points, vec![(1.0, 3.0)]);
    }

    #[test]
    fn human_numbers() {
        assert_eq!(human(1_234_567.0), "1.2M");
        assert_eq!(human(45_300.0), "45k");
        assert_eq!(human(4_530.0), "4.5k");
        assert_eq!(human(1_000.0), "1k");
        assert_eq!(human(12.4), "12");
        assert_eq!(human(2.25), "2.2");
        assert_eq!(human(0.0), "0");
    }

    #[test]
    fn a_chart_is_an_svg_with_the_legend() {
        let dir = std::env::temp_dir().join(format!("loadgen-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.svg");
        let data = vec![Series {
            name: "reference".into(),
            points: vec![(1.0, 100.0), (10.0, 1000.0), (100.0, 900.0)],
        }];
        line_chart(&path, "t", "x", "y", &data, YScale::Linear).unwrap();
        line_chart(&path, "t", "x", "y", &data, YScale::Log).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..50.min(svg.len())]);
        assert!(svg.contains("reference"));
        assert!(line_chart(&path, "t", "x", "y", &[], YScale::Linear).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
