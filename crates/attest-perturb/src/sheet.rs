//! Contact sheets: the clean image and every severity of one kind side by side, labelled —
//! so a reviewer sees what "severity 3" means before signing a spec that uses it.

use crate::error::PerturbError;
use crate::font::{text_width, Canvas, GLYPH_HEIGHT};
use crate::image::Image;
use crate::params::KindDef;
use crate::planes::Planes;
use crate::registry::perturb;

/// Default tile height (px): a sheet of a 2,000 px radiograph stays a readable few megapixels.
pub const TILE_HEIGHT: usize = 320;

/// Draws the sheet: tiles for severity 0 (clean) to the kind's maximum, each perturbed at
/// full resolution and then scaled down to `tile_height` (when taller), with a label strip
/// above each tile. `overrides` replace parameters of every row (`--param`).
pub fn contact_sheet(
    image: &Image,
    kind: &'static KindDef,
    table: Option<&str>,
    overrides: &[(String, f64)],
    seed: u64,
    tile_height: usize,
) -> Result<Image, PerturbError> {
    let mut tiles = vec![(String::from("CLEAN"), Planes::from_image(image))];
    for severity in 1..=kind.max_severity() {
        let mut params = kind.severity(severity, table)?;
        for (name, value) in overrides {
            params = params.with(name, *value)?;
        }
        let perturbed = perturb(image, &params, seed)?;
        tiles.push((
            format!("{} {severity}", kind.name.replace('_', " ")),
            Planes::from_image(&perturbed),
        ));
    }
    let scale_to = tile_height.max(16).min(image.height());
    let tiles: Vec<(String, Planes)> = tiles
        .into_iter()
        .map(|(label, planes)| (label, downscale(&planes, scale_to)))
        .collect();
    let tile_w = tiles.first().map_or(1, |t| t.1.width);
    let tile_h = tiles.first().map_or(1, |t| t.1.height);
    let font_scale = (tile_w / 110).clamp(1, 3);
    let label_h = (GLYPH_HEIGHT + 4) * font_scale;
    let gap = 4;
    let width = tiles.len() * tile_w + (tiles.len() - 1) * gap;
    let height = label_h + tile_h;
    let channels = tiles.first().map_or(1, |t| t.1.planes.len());
    let mut sheet = Planes {
        width,
        height,
        planes: vec![vec![0.0f32; width * height]; channels],
        pixel_type: image.pixel_type(),
    };
    for (i, (label, tile)) in tiles.iter().enumerate() {
        let left = i * (tile_w + gap);
        for (sheet_plane, tile_plane) in sheet.planes.iter_mut().zip(&tile.planes) {
            for y in 0..tile_h {
                let row = &tile_plane[y * tile_w..(y + 1) * tile_w];
                let start = (label_h + y) * width + left;
                sheet_plane[start..start + tile_w].copy_from_slice(row);
            }
            let text = if text_width(label, font_scale) <= tile_w {
                label.clone()
            } else {
                label.split(' ').next_back().unwrap_or("").to_string()
            };
            Canvas {
                plane: sheet_plane,
                width,
                height,
            }
            .draw_text(
                (left + 2 * font_scale, 2 * font_scale),
                font_scale,
                &text,
                1.0,
            );
        }
    }
    sheet.to_image()
}

/// Area-average downscale to `target_height` (aspect kept); a visual aid only, so a plain box
/// filter is enough.
fn downscale(planes: &Planes, target_height: usize) -> Planes {
    if planes.height <= target_height || target_height == 0 {
        return planes.clone();
    }
    let ratio = planes.height as f64 / target_height as f64;
    let w = ((planes.width as f64 / ratio).round() as usize).max(1);
    let h = target_height;
    let out = planes
        .planes
        .iter()
        .map(|plane| {
            let mut result = vec![0.0f32; w * h];
            for (y, row) in result.chunks_mut(w).enumerate() {
                let y0 = (y as f64 * ratio) as usize;
                let y1 = (((y + 1) as f64 * ratio) as usize).clamp(y0 + 1, planes.height);
                for (x, value) in row.iter_mut().enumerate() {
                    let x0 = (x as f64 * ratio) as usize;
                    let x1 = (((x + 1) as f64 * ratio) as usize).clamp(x0 + 1, planes.width);
                    let mut sum = 0.0f64;
                    for yy in y0..y1 {
                        sum += plane[yy * planes.width + x0..yy * planes.width + x1]
                            .iter()
                            .map(|&v| f64::from(v))
                            .sum::<f64>();
                    }
                    *value = (sum / ((y1 - y0) * (x1 - x0)) as f64) as f32;
                }
            }
            result
        })
        .collect();
    Planes {
        width: w,
        height: h,
        planes: out,
        pixel_type: planes.pixel_type,
    }
}
