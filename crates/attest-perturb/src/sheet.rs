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

/// A labelled grid of images: each tile is an image with up to a few lines of text above it
/// (case id, label, score…), `columns` tiles per row, every tile scaled to `tile_height`
/// (aspect kept; never enlarged). 8-bit gray, white text on black — a sheet to look through,
/// e.g. a run's false negatives. RGB tiles are shown by their luma (Rec. 601 weights);
/// text uses the built-in block capitals (A–Z, 0–9, `- / : . _ = #`).
pub fn labelled_grid(
    tiles: &[(Image, Vec<String>)],
    columns: usize,
    tile_height: usize,
) -> Result<Image, PerturbError> {
    let columns = columns.clamp(1, tiles.len().max(1));
    let scaled: Vec<(Vec<f32>, usize, usize, &Vec<String>)> = tiles
        .iter()
        .map(|(image, lines)| {
            let gray = luma(&Planes::from_image(image));
            let small = downscale(&gray, tile_height.max(16).min(gray.height));
            let (w, h) = (small.width, small.height);
            let plane = small.planes.into_iter().next().unwrap_or_default();
            (plane, w, h, lines)
        })
        .collect();
    let tile_w = scaled.iter().map(|t| t.1).max().unwrap_or(1).max(1);
    let tile_h = scaled.iter().map(|t| t.2).max().unwrap_or(1).max(1);
    let lines = scaled.iter().map(|t| t.3.len()).max().unwrap_or(0);
    let font_scale = (tile_w / 110).clamp(1, 2);
    let line_h = (GLYPH_HEIGHT + 3) * font_scale;
    let cell_w = tile_w;
    let cell_h = lines * line_h + 2 + tile_h;
    let gap = 6;
    let rows = tiles.len().div_ceil(columns).max(1);
    let width = columns * cell_w + (columns + 1) * gap;
    let height = rows * cell_h + (rows + 1) * gap;
    let mut plane = vec![0.0f32; width * height];
    for (i, (tile, w, h, text)) in scaled.iter().enumerate() {
        let left = gap + (i % columns) * (cell_w + gap);
        let top = gap + (i / columns) * (cell_h + gap);
        for (k, line) in text.iter().enumerate() {
            // Cut to the tile's width rather than run into the next one.
            let fits = (cell_w / ((crate::font::GLYPH_WIDTH + 1) * font_scale)).max(1);
            let line: String = line.chars().take(fits).collect();
            Canvas {
                plane: &mut plane,
                width,
                height,
            }
            .draw_text((left, top + k * line_h), font_scale, &line, 1.0);
        }
        let image_top = top + lines * line_h + 2;
        for y in 0..*h {
            let start = (image_top + y) * width + left;
            plane[start..start + w].copy_from_slice(&tile[y * w..(y + 1) * w]);
        }
    }
    Image::gray8(
        width,
        height,
        plane
            .iter()
            .map(|&v| crate::planes::truncate_level8(v))
            .collect(),
    )
}

/// One gray plane: the planes' luma when there are three.
fn luma(planes: &Planes) -> Planes {
    let plane = match planes.planes.as_slice() {
        [r, g, b] => r
            .iter()
            .zip(g)
            .zip(b)
            .map(|((&r, &g), &b)| 0.299 * r + 0.587 * g + 0.114 * b)
            .collect(),
        [one, ..] => one.clone(),
        [] => vec![0.0; planes.width * planes.height],
    };
    Planes {
        width: planes.width,
        height: planes.height,
        planes: vec![plane],
        pixel_type: crate::image::PixelType::Gray8,
    }
}

#[cfg(test)]
mod grid_tests {
    use super::*;

    #[test]
    fn the_grid_holds_every_tile_with_its_label() {
        let a = Image::gray8(40, 30, vec![200; 1200]).unwrap();
        let b = Image::rgb8(40, 30, vec![100; 3600]).unwrap();
        let tiles = vec![
            (
                a.clone(),
                vec!["CASE-1".to_string(), "SCORE 0.91".to_string()],
            ),
            (b, vec!["CASE-2".to_string()]),
            (a, vec![]),
        ];
        let sheet = labelled_grid(&tiles, 2, 30).unwrap();
        // Two columns, two rows of 2 lines of text + 30 px images, 6 px gaps.
        assert_eq!(sheet.width(), 2 * 40 + 3 * 6);
        assert_eq!(sheet.height(), 2 * (2 * 10 + 2 + 30) + 3 * 6);
        let pixels = sheet.as_u8().unwrap();
        // The first tile's image (level 200) sits below its two label lines.
        let at = |x: usize, y: usize| pixels[y * sheet.width() + x];
        assert_eq!(at(6 + 20, 6 + 22 + 15), 200);
        // The RGB tile is shown by its luma (100 in every channel: 100).
        assert!((i32::from(at(6 + 40 + 6 + 20, 6 + 22 + 15)) - 100).abs() <= 1);
        // Text was drawn (white) in the first label line.
        assert!((6..6 + 7).any(|y| (6..6 + 30).any(|x| at(x, y) == 255)));
    }
}
