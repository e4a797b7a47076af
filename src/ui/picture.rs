//! Real pixels for the photo step on terminals that speak an image protocol (kitty, sixel,
//! iTerm2), through ratatui-image. Elsewhere `preview` draws half-blocks.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use image::{DynamicImage, RgbImage};
use ratatui::layout::Rect;
use ratatui_image::Resize;
use ratatui_image::picker::{Picker, ProtocolType};
use ratatui_image::protocol::Protocol;
use ratatui_image::protocol::kitty::Kitty;

/// Kitty keeps every image it is sent until its storage quota evicts the oldest, and the
/// preview sends ten a second: left alone, that is hundreds of megabytes of the terminal's
/// memory. So frames go out under two image ids in turn. Each frame replaces the image of two
/// frames back, which is no longer on screen; re-sending the id that is on screen would
/// blank it until the new image is decoded. [`farewell`] deletes both when Loket exits.
fn kitty_ids() -> [u32; 2] {
    static IDS: OnceLock<[u32; 2]> = OnceLock::new();
    *IDS.get_or_init(|| {
        // Random, so that two programs in one terminal don't replace each other's pictures;
        // never 0, which kitty reads as "no id".
        let base: u32 = rand::random::<u32>() | 1;
        [base, base.wrapping_add(2) | 1]
    })
}

fn next_kitty_id() -> u32 {
    static TURN: AtomicBool = AtomicBool::new(false);
    kitty_ids()[usize::from(TURN.fetch_xor(true, Ordering::Relaxed))]
}

/// Inside tmux, graphics travel wrapped in its passthrough (as ratatui-image detects it).
fn in_tmux() -> bool {
    std::env::var("TERM").is_ok_and(|t| t.starts_with("tmux"))
        || std::env::var("TERM_PROGRAM").is_ok_and(|t| t == "tmux")
}

/// What to write to the terminal before leaving it: deletes the preview's pictures from
/// kitty's memory. Empty for other protocols.
pub fn farewell(picker: &Picker) -> String {
    if picker.protocol_type() != ProtocolType::Kitty {
        return String::new();
    }
    let (start, esc, end) = if in_tmux() {
        ("\x1bPtmux;", "\x1b\x1b", "\x1b\\")
    } else {
        ("", "\x1b", "")
    };
    kitty_ids()
        .iter()
        .map(|id| format!("{start}{esc}_Ga=d,d=I,i={id},q=2{esc}\\{end}"))
        .collect()
}

/// Asks the terminal what it can show (call after entering the alternate screen, before
/// reading events). `None` when it speaks no image protocol.
pub fn detect() -> Option<Picker> {
    if !worth_asking(std::env::var("TERM").ok().as_deref()) {
        return None;
    }
    // A terminal that never answers delays the start by this much at most (the crate's
    // default is 2 s); a local terminal answers in milliseconds.
    let mut options = ratatui_image::picker::cap_parser::QueryStdioOptions::default();
    options.timeout = std::time::Duration::from_millis(800);
    Picker::from_query_stdio_with_options(options)
        .ok()
        .filter(|p| p.protocol_type() != ProtocolType::Halfblocks)
}

/// Whether a terminal called `term` may show pictures at all. The kiosk's own console
/// (`linux`) never does and never answers the question: asking there only swallowed the
/// keys an officer typed while the terminal started (the query reads the input until its
/// timeout, and what it reads is not the answer is lost).
pub fn worth_asking(term: Option<&str>) -> bool {
    !matches!(term, None | Some("" | "linux" | "dumb" | "vt100" | "vt220"))
}

/// The picture scaled to `area`'s pixels with the head outline drawn into it, encoded for
/// the terminal's protocol.
pub fn encode(picker: &Picker, img: &RgbImage, area: Rect) -> Option<Protocol> {
    let (fw, fh) = picker.font_size();
    let (pw, ph) = (
        u32::from(area.width) * u32::from(fw),
        u32::from(area.height) * u32::from(fh),
    );
    if pw == 0 || ph == 0 || img.width() == 0 || img.height() == 0 {
        return None;
    }
    let k = (f64::from(pw) / f64::from(img.width())).min(f64::from(ph) / f64::from(img.height()));
    let (w, h) = (
        ((f64::from(img.width()) * k) as u32).max(1),
        ((f64::from(img.height()) * k) as u32).max(1),
    );
    let mut small = image::imageops::thumbnail(img, w, h);
    for (x, y, p) in small.enumerate_pixels_mut() {
        if super::preview::on_oval(f64::from(x), f64::from(y), f64::from(w), f64::from(h)) {
            *p = image::Rgb([255, 215, 0]);
        }
    }
    if picker.protocol_type() == ProtocolType::Kitty {
        // The picture already fits `area`: it covers these cells.
        let cells = Rect::new(
            area.x,
            area.y,
            w.div_ceil(u32::from(fw).max(1)) as u16,
            h.div_ceil(u32::from(fh).max(1)) as u16,
        );
        let image = DynamicImage::ImageRgb8(small);
        return Kitty::new(image, cells, next_kitty_id(), in_tmux())
            .ok()
            .map(Protocol::Kitty);
    }
    picker
        .new_protocol(DynamicImage::ImageRgb8(small), area, Resize::Fit(None))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::style::Color;
    use ratatui::widgets::Widget;

    #[test]
    fn the_kiosk_console_is_never_asked_for_pictures_so_no_typed_key_is_swallowed() {
        for term in [None, Some(""), Some("linux"), Some("dumb")] {
            assert!(!worth_asking(term), "{term:?}");
        }
        for term in ["xterm-kitty", "foot", "xterm-256color", "tmux-256color"] {
            assert!(worth_asking(Some(term)), "{term}");
        }
    }

    #[test]
    #[allow(deprecated)] // Picker::from_fontsize: a terminal cannot be queried in a test
    fn the_head_outline_is_drawn_into_the_pixels() {
        let mut picker = Picker::from_fontsize((2, 4));
        picker.set_protocol_type(ProtocolType::Halfblocks);
        let black = RgbImage::new(300, 400);
        let area = Rect::new(0, 0, 30, 20);
        let protocol = encode(&picker, &black, area).unwrap();
        let mut buf = Buffer::empty(area);
        ratatui_image::Image::new(&protocol).render(area, &mut buf);
        // The terminal's cells blend neighbouring pixels: count the clearly golden ones.
        let golden = |c: Color| matches!(c, Color::Rgb(r, g, b) if r >= 150 && g >= 120 && b < 40);
        let outline = buf
            .content()
            .iter()
            .filter(|c| golden(c.fg) || golden(c.bg))
            .count();
        assert!(outline > 20, "{outline} cells of outline");
        // The centre of the face stays the picture's own colour.
        let centre = &buf[(15, 8)];
        assert!(!golden(centre.fg) && !golden(centre.bg));
    }

    /// The image id a kitty picture is transmitted under, read from what it writes.
    fn sent_id(protocol: &Protocol, area: Rect) -> u32 {
        let mut buf = Buffer::empty(area);
        ratatui_image::Image::new(protocol).render(area, &mut buf);
        let text: String = buf.content().iter().map(|c| c.symbol()).collect();
        let at = text
            .find("a=T")
            .expect("the first draw transmits the picture");
        let key = text[..at].rfind("i=").expect("an image id");
        text[key + 2..at]
            .trim_end_matches(',')
            .parse()
            .expect("a number")
    }

    #[test]
    #[allow(deprecated)] // Picker::from_fontsize: a terminal cannot be queried in a test
    fn kitty_frames_take_turns_between_two_ids_and_are_deleted_at_the_end() {
        let mut picker = Picker::from_fontsize((8, 16));
        picker.set_protocol_type(ProtocolType::Kitty);
        let frame = RgbImage::from_pixel(640, 360, image::Rgb([90, 120, 150]));
        let area = Rect::new(0, 0, 36, 19);
        let ids: Vec<u32> = (0..4)
            .map(|_| sent_id(&encode(&picker, &frame, area).unwrap(), area))
            .collect();
        assert_ne!(ids[0], ids[1], "{ids:?}");
        assert_eq!((ids[0], ids[1]), (ids[2], ids[3]), "{ids:?}");
        let bye = farewell(&picker);
        for id in &ids[..2] {
            assert!(bye.contains(&format!("a=d,d=I,i={id},")), "{bye:?}");
        }
        picker.set_protocol_type(ProtocolType::Sixel);
        assert_eq!(farewell(&picker), "");
    }
}
