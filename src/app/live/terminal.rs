//! The live screen's terminal: raw mode on the alternate screen (restored
//! on drop and on a panic), drawing a frame, and the keys.

use crate::render::ReportView;
use crate::render::live::{LiveStatus, live_rows};
use crate::render::screen::{LiveView, ScreenData, ScreenState, ServiceKey, write_live_screen};
use crate::schema::ProcessesView;
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, queue, terminal};
use std::io::{self, Write};
use std::time::Duration;

/// The terminal in raw mode on the alternate screen; restored on drop, and
/// by a panic hook should anything panic while it is up.
pub(super) struct Screen;

impl Screen {
    pub(super) fn enter() -> io::Result<Screen> {
        terminal::enable_raw_mode()?;
        let screen = Screen;
        execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            Screen::restore();
            previous(info);
        }));
        Ok(screen)
    }

    fn restore() {
        let _ = execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
        let _ = terminal::disable_raw_mode();
    }

    fn draw(&self, frame: &[u8]) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        queue!(
            stdout,
            cursor::MoveTo(0, 0),
            terminal::Clear(terminal::ClearType::All)
        )?;
        stdout.write_all(frame)?;
        stdout.flush()
    }

    /// Applies the keys pressed since the last look to `state` (`shown`:
    /// the services on the screen, top to bottom); true when one of them
    /// asks to stop.
    pub(super) fn keys(&self, state: &mut ScreenState, shown: &[ServiceKey]) -> bool {
        // Where the highlight is: on its service, else on the first row.
        let at = |state: &ScreenState| {
            state
                .selected
                .and_then(|key| shown.iter().position(|k| *k == key))
                .unwrap_or(0)
        };
        while event::poll(Duration::ZERO).unwrap_or(false) {
            let Ok(Event::Key(key)) = event::read() else {
                continue;
            };
            if key.kind != KeyEventKind::Press {
                continue;
            }
            // Raw mode turns Ctrl-C into a key rather than a signal.
            if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
                return true;
            }
            if state.typing {
                match key.code {
                    KeyCode::Char(c) => state.filter.push(c),
                    KeyCode::Backspace => {
                        state.filter.pop();
                    }
                    KeyCode::Enter => state.typing = false,
                    KeyCode::Esc => {
                        state.typing = false;
                        state.filter.clear();
                    }
                    _ => {}
                }
                continue;
            }
            match key.code {
                KeyCode::Char('q') => return true,
                KeyCode::Esc if !state.filter.is_empty() => state.filter.clear(),
                KeyCode::Esc | KeyCode::Backspace if state.view == LiveView::Detail => {
                    state.view = LiveView::Services;
                }
                KeyCode::Esc => return true,
                KeyCode::Up | KeyCode::Char('k') if !shown.is_empty() => {
                    state.selected = Some(shown[at(state).saturating_sub(1)]);
                }
                KeyCode::Down | KeyCode::Char('j') if !shown.is_empty() => {
                    state.selected = Some(shown[(at(state) + 1).min(shown.len() - 1)]);
                }
                KeyCode::Enter if state.view == LiveView::Services && !shown.is_empty() => {
                    state.detail = Some(shown[at(state)]);
                    state.view = LiveView::Detail;
                }
                KeyCode::Char('/') => {
                    state.typing = true;
                    state.filter.clear();
                }
                KeyCode::Char('s') => state.sort = state.sort.toggled(),
                KeyCode::Char(' ') => state.paused = !state.paused,
                KeyCode::Char('?' | 'h') => state.view = LiveView::Help,
                KeyCode::Tab => state.view = state.view.next(),
                KeyCode::Char(digit @ '1'..='5') => {
                    state.view = LiveView::CYCLE[usize::from(digit as u8 - b'1')];
                }
                _ => {}
            }
        }
        false
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        Screen::restore();
    }
}

/// Draws the screen for the last interval and the totals.
pub(super) fn draw(
    screen: &Screen,
    status: &LiveStatus,
    interval: &ReportView,
    totals: &ReportView,
    processes: &ProcessesView,
    seconds: f64,
    state: &ScreenState,
) -> io::Result<Vec<ServiceKey>> {
    let size = terminal::size().unwrap_or((100, 40));
    let services = live_rows(&interval.read, &totals.read, seconds, state.sort);
    let data = ScreenData {
        interval,
        totals,
        seconds,
        services: &services,
        processes,
    };
    let mut frame = Vec::new();
    let shown = write_live_screen(status, &data, state, size, &mut frame)?;
    screen.draw(&frame)?;
    Ok(shown)
}
