//! `zk-bench plot`: throughput against write percentage, one line per server, from the
//! `saturate` points of JSON reports, drawn as a PNG by `plotters`.
//!
//! Solid series (`--series`) and dashed series (`--dashed-series`) take colours in their own
//! order, so the n-th dashed line shares the n-th solid line's colour: standalone servers
//! solid, the same servers as 3-node ensembles dashed.

use std::path::Path;

use plotters::element::ComposedElement;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::report::Report;
use crate::{Error, Result};

/// A font available on Debian (`fonts-dejavu-core`); `--font` overrides it.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Line colours, one per series in order.
const COLOURS: [RGBColor; 4] = [RGBColor(200, 60, 30), RGBColor(30, 90, 200), GREEN, MAGENTA];

/// One line of the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// `(write %, ops/s)` points, by write %.
    pub points: Vec<(u32, f64)>,
    /// Drawn dashed (in the colour of the solid series of the same rank).
    pub dashed: bool,
}

/// The `saturate` points of a report, sorted by write percentage.
pub fn saturate_points(report: &Report) -> Vec<(u32, f64)> {
    let mut points: Vec<(u32, f64)> = report
        .results
        .iter()
        .filter(|m| m.workload == "saturate")
        .filter_map(|m| Some((m.write_pct?, m.ops_per_sec)))
        .collect();
    points.sort_by_key(|p| p.0);
    points
}

/// Draws `series` into the PNG `out` (800 × 500) with the TrueType font at `font`.
pub fn draw(series: &[Series], title: &str, font: &Path, out: &Path) -> Result<()> {
    let bytes = std::fs::read(font).map_err(|source| Error::Io {
        path: font.display().to_string(),
        source,
    })?;
    // plotters keeps registered fonts for the whole process.
    register_font(
        "sans-serif",
        FontStyle::Normal,
        Box::leak(bytes.into_boxed_slice()),
    )
    .map_err(|_| Error::Plot(format!("{} is not a usable font", font.display())))?;
    let plot_err = |e: &dyn std::fmt::Display| Error::Plot(e.to_string());
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(1.0_f64, f64::max)
        * 1.35;
    let root = BitMapBackend::new(out, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(0u32..100u32, 0.0..top)
        .map_err(|e| plot_err(&e))?;
    chart
        .configure_mesh()
        .x_desc("write %")
        .y_desc("ops/s")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| plot_err(&e))?;
    let (mut solid, mut dashed) = (0, 0);
    for line in series {
        let rank = if line.dashed { &mut dashed } else { &mut solid };
        let colour = COLOURS[*rank % COLOURS.len()];
        *rank += 1;
        let style = colour.stroke_width(2);
        let points = line.points.iter().copied();
        let drawn = if line.dashed {
            chart.draw_series(DashedLineSeries::new(points, 10, 6, style))
        } else {
            chart.draw_series(LineSeries::new(points, style))
        };
        let is_dashed = line.dashed;
        drawn
            .map_err(|e| plot_err(&e))?
            .label(line.name.as_str())
            .legend(move |(x, y)| legend_mark(x, y, colour, is_dashed));
        if line.dashed {
            chart
                .draw_series(
                    (line.points.iter()).map(|&p| TriangleMarker::new(p, 5, colour.filled())),
                )
                .map_err(|e| plot_err(&e))?;
        } else {
            chart
                .draw_series(
                    line.points
                        .iter()
                        .map(|&p| Circle::new(p, 4, colour.filled())),
                )
                .map_err(|e| plot_err(&e))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_err(&e))?;
    root.present().map_err(|e| plot_err(&e))?;
    Ok(())
}

/// A legend sample: an anchor point and two segments relative to it.
type LegendMark<DB> =
    ComposedElement<(i32, i32), DB, PathElement<(i32, i32)>, PathElement<(i32, i32)>>;

/// The legend's sample of a line: one stroke, or two dashes. Both shapes are the same type
/// (an anchor plus two segments), as the legend closure must return one type.
fn legend_mark<DB: DrawingBackend>(
    x: i32,
    y: i32,
    colour: RGBColor,
    dashed: bool,
) -> LegendMark<DB> {
    let gap = if dashed { 4 } else { 0 };
    let style = colour.stroke_width(2);
    EmptyElement::at((x, y))
        + PathElement::new(vec![(0, 0), (10 - gap / 2, 0)], style)
        + PathElement::new(vec![(10 + gap / 2, 0), (20, 0)], style)
}
