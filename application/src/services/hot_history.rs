//! The latest messages of busy channels, kept in memory so that the common `messages_get`
//! (the newest page, or a page just before a recent message) never reads the store
//! (docs/design/hot-history.md).
//!
//! Each cached tail holds a channel's newest messages in the store's order and is kept
//! exact by the store observer: appends are added at the end, edits, reactions and pins
//! replace the message in place, deletes remove it, and a renamed or deleted channel drops
//! its tail. When two appends to one channel are in flight at once their order in the store
//! is not known here, so the tail is dropped and read again at the next request; a read
//! that raced a write is not kept.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use domain::Message;

use super::messaging::HistoryStart;

/// Messages kept per channel: the largest page `messages_get` returns.
pub const TAIL: usize = 200;

/// Channels whose tails are kept at once; the least recently read goes first.
pub const CHANNELS: usize = 128;

#[derive(Debug, Default)]
struct Slot {
    /// The newest messages, oldest first; `None` until read (or after it was dropped).
    tail: Option<VecDeque<Arc<Message>>>,
    /// Whether the tail holds every message of the channel.
    complete: bool,
    /// Appends started and not yet finished.
    in_flight: u32,
    /// Bumped by every write, so that a read that raced one is not installed.
    generation: u64,
    /// When the tail was last read (a counter).
    used: u64,
}

impl Slot {
    fn drop_tail(&mut self) {
        self.tail = None;
        self.complete = false;
    }
}

/// The cached tails.
#[derive(Debug, Default)]
pub struct HotHistory {
    slots: Mutex<(HashMap<String, Slot>, u64)>,
}

/// A `messages_around` page answered from a cached tail.
#[derive(Debug, Clone, PartialEq)]
pub struct AroundPage {
    /// Oldest first.
    pub messages: Vec<Message>,
    /// How many messages the channel holds after the page.
    pub after: usize,
    /// The page's 0-based index in the channel, when the tail holds the whole channel.
    pub start: Option<usize>,
}

/// Where a page starts and how long it is, as `messages_get` asks.
fn page_of(tail: &VecDeque<Arc<Message>>, complete: bool, start: &HistoryStart, limit: usize) -> Option<Vec<Message>> {
    let n = tail.len();
    let (from, to) = match start {
        HistoryStart::Skip(skip) => {
            let skip = usize::try_from(*skip).unwrap_or(usize::MAX);
            if !complete && skip.saturating_add(limit) > n {
                return None;
            }
            let to = n.saturating_sub(skip);
            (to.saturating_sub(limit), to)
        }
        HistoryStart::Before(id) => match tail.iter().position(|m| &m.id == id) {
            Some(at) if at >= limit || complete => (at.saturating_sub(limit), at),
            Some(_) => return None,
            // An id not in a complete tail names no message of the channel.
            None if complete => (0, 0),
            None => return None,
        },
    };
    Some(tail.range(from..to).map(|m| (**m).clone()).collect())
}

impl HotHistory {
    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<String, Slot>, u64)> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A page from the cached tail, when the tail can answer it exactly.
    pub fn page(&self, channel: &str, start: &HistoryStart, limit: usize) -> Option<Vec<Message>> {
        let mut guard = self.lock();
        let (slots, clock) = &mut *guard;
        *clock += 1;
        let slot = slots.get_mut(channel)?;
        let tail = slot.tail.as_ref()?;
        let page = page_of(tail, slot.complete, start, limit)?;
        slot.used = *clock;
        Some(page)
    }

    /// The messages around `id` (`older` before it, the message, `newer` after it, oldest
    /// first) when the cached tail holds them all, with how many newer messages the
    /// channel holds after the page and whether the tail is the whole channel (then the
    /// page's index in the channel is the index in the tail).
    pub fn around(&self, channel: &str, id: &str, older: usize, newer: usize) -> Option<AroundPage> {
        let mut guard = self.lock();
        let (slots, clock) = &mut *guard;
        *clock += 1;
        let slot = slots.get_mut(channel)?;
        let tail = slot.tail.as_ref()?;
        let at = tail.iter().position(|m| m.id == id)?;
        if at < older && !slot.complete {
            return None;
        }
        let from = at.saturating_sub(older);
        let to = tail.len().min(at.saturating_add(1).saturating_add(newer));
        let page = AroundPage {
            messages: tail.range(from..to).map(|m| (**m).clone()).collect(),
            after: tail.len() - to,
            start: slot.complete.then_some(from),
        };
        slot.used = *clock;
        Some(page)
    }

    /// The channel's write generation, to read before loading its tail from the store.
    pub fn generation(&self, channel: &str) -> u64 {
        self.lock().0.get(channel).map_or(0, |s| s.generation)
    }

    /// Keeps the newest messages read from the store (oldest first, at most [`TAIL`]),
    /// unless a write came since `generation` was read or an append is in flight.
    pub fn install(&self, channel: &str, generation: u64, newest: Vec<Message>) {
        let mut guard = self.lock();
        let (slots, clock) = &mut *guard;
        *clock += 1;
        let used = *clock;
        let slot = slots.entry(channel.to_owned()).or_default();
        if slot.generation != generation || slot.in_flight > 0 {
            return;
        }
        slot.complete = newest.len() < TAIL;
        slot.tail = Some(newest.into_iter().map(Arc::new).collect());
        slot.used = used;
        let cached = slots.values().filter(|s| s.tail.is_some()).count();
        if cached > CHANNELS
            && let Some(oldest) =
                slots.iter().filter(|(_, s)| s.tail.is_some()).min_by_key(|(_, s)| s.used).map(|(k, _)| k.clone())
        {
            slots.entry(oldest).or_default().drop_tail();
        }
    }

    fn with_slot(&self, channel: &str, f: impl FnOnce(&mut Slot)) {
        let mut guard = self.lock();
        let slot = guard.0.entry(channel.to_owned()).or_default();
        slot.generation += 1;
        f(slot);
    }

    /// An append to `channel` is about to be submitted.
    pub fn appending(&self, channel: &str) {
        self.with_slot(channel, |s| s.in_flight += 1);
    }

    /// An append to `channel` finished (`Some` when it was stored). Alone in flight it is
    /// added at the end; with others in flight its place is not known and the tail goes.
    pub fn appended(&self, channel: &str, stored: Option<&Message>) {
        self.with_slot(channel, |s| {
            let alone = s.in_flight == 1;
            s.in_flight = s.in_flight.saturating_sub(1);
            let Some(message) = stored else { return };
            match (&mut s.tail, alone) {
                (Some(tail), true) => {
                    tail.push_back(Arc::new(message.clone()));
                    if tail.len() > TAIL {
                        tail.pop_front();
                        s.complete = false;
                    }
                }
                _ => s.drop_tail(),
            }
        });
    }

    /// A stored message changed (edit, reaction, pin).
    pub fn updated(&self, channel: &str, message: &Message) {
        self.with_slot(channel, |s| {
            if let Some(tail) = &mut s.tail
                && let Some(slot) = tail.iter_mut().find(|m| m.id == message.id)
            {
                *slot = Arc::new(message.clone());
            }
        });
    }

    /// A stored message was deleted.
    pub fn deleted(&self, channel: &str, id: &str) {
        // The tail stays the store's newest messages, one fewer.
        self.with_slot(channel, |s| {
            if let Some(tail) = &mut s.tail {
                tail.retain(|m| m.id != id);
            }
        });
    }

    /// A channel was renamed or deleted: its tail (under either name) goes.
    pub fn channel_changed(&self, channel: &str) {
        self.with_slot(channel, Slot::drop_tail);
    }

    /// Every tail goes (after a change whose channels are not known).
    pub fn clear(&self) {
        let mut guard = self.lock();
        for slot in guard.0.values_mut() {
            slot.generation += 1;
            slot.drop_tail();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::UserId;

    fn m(id: &str) -> Message {
        Message::new(id.into(), UserId("u".into()), id.into(), 1.0)
    }

    fn ids(page: Option<Vec<Message>>) -> Option<Vec<String>> {
        page.map(|p| p.into_iter().map(|m| m.id).collect())
    }

    fn hot_with(n: usize) -> HotHistory {
        let h = HotHistory::default();
        let g = h.generation("c");
        h.install("c", g, (0..n).map(|i| m(&format!("m{i}"))).collect());
        h
    }

    #[test]
    fn pages_come_from_a_complete_tail() {
        let h = hot_with(5);
        assert_eq!(ids(h.page("c", &HistoryStart::Skip(0), 2)), Some(vec!["m3".into(), "m4".into()]));
        assert_eq!(ids(h.page("c", &HistoryStart::Skip(4), 3)), Some(vec!["m0".into()]));
        assert_eq!(ids(h.page("c", &HistoryStart::Skip(9), 3)), Some(vec![]));
        assert_eq!(ids(h.page("c", &HistoryStart::Before("m2".into()), 5)), Some(vec!["m0".into(), "m1".into()]));
        assert_eq!(ids(h.page("c", &HistoryStart::Before("zz".into()), 5)), Some(vec![]));
        assert_eq!(h.page("other", &HistoryStart::Skip(0), 2), None);
    }

    #[test]
    fn a_full_tail_answers_only_what_it_holds() {
        let h = hot_with(TAIL);
        assert_eq!(h.page("c", &HistoryStart::Skip(0), 50).map(|p| p.len()), Some(50));
        assert_eq!(h.page("c", &HistoryStart::Skip(180), 50), None, "older than the tail");
        assert_eq!(h.page("c", &HistoryStart::Before("m10".into()), 50), None);
        assert_eq!(h.page("c", &HistoryStart::Before("zz".into()), 50), None, "maybe older");
    }

    #[test]
    fn pages_around_a_message() {
        let h = hot_with(5);
        let page = h.around("c", "m2", 1, 1).unwrap();
        assert_eq!(ids(Some(page.messages)), Some(vec!["m1".into(), "m2".into(), "m3".into()]));
        assert_eq!((page.after, page.start), (1, Some(1)));
        let page = h.around("c", "m0", 9, 9).unwrap();
        assert_eq!((page.messages.len(), page.after, page.start), (5, 0, Some(0)));
        assert_eq!(h.around("c", "zz", 1, 1), None);
        let full = hot_with(TAIL);
        assert_eq!(full.around("c", "m3", 5, 0), None, "older than the tail");
        let page = full.around("c", "m10", 5, 2).unwrap();
        assert_eq!((page.messages.len(), page.after, page.start), (8, TAIL - 13, None));
    }

    #[test]
    fn writes_keep_the_tail_exact() {
        let h = hot_with(2);
        h.appending("c");
        h.appended("c", Some(&m("m2")));
        assert_eq!(ids(h.page("c", &HistoryStart::Skip(0), 10)), Some(vec!["m0".into(), "m1".into(), "m2".into()]));
        let mut edited = m("m1");
        edited.content = "changed".into();
        h.updated("c", &edited);
        assert_eq!(h.page("c", &HistoryStart::Skip(1), 1).unwrap()[0].content, "changed");
        h.deleted("c", "m0");
        assert_eq!(ids(h.page("c", &HistoryStart::Skip(0), 10)), Some(vec!["m1".into(), "m2".into()]));
        h.appending("c");
        h.appended("c", None);
        assert!(h.page("c", &HistoryStart::Skip(0), 10).is_some(), "a failed append changes nothing");
    }

    #[test]
    fn concurrent_appends_drop_the_tail() {
        let h = hot_with(2);
        h.appending("c");
        h.appending("c");
        h.appended("c", Some(&m("b")));
        h.appended("c", Some(&m("a")));
        assert_eq!(h.page("c", &HistoryStart::Skip(0), 10), None, "their order is the store's to tell");
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_kept() {
        let h = HotHistory::default();
        let g = h.generation("c");
        h.appending("c");
        h.appended("c", Some(&m("new")));
        h.install("c", g, vec![m("old")]);
        assert_eq!(h.page("c", &HistoryStart::Skip(0), 10), None);
        let g = h.generation("c");
        h.appending("c");
        h.install("c", g + 1, vec![m("old")]);
        assert_eq!(h.page("c", &HistoryStart::Skip(0), 10), None, "not while an append is in flight");
    }

    #[test]
    fn a_renamed_channel_drops_its_tail_and_few_channels_are_kept() {
        let h = hot_with(3);
        h.channel_changed("c");
        assert_eq!(h.page("c", &HistoryStart::Skip(0), 10), None);
        for i in 0..(CHANNELS + 10) {
            let name = format!("ch{i}");
            let g = h.generation(&name);
            h.install(&name, g, vec![m("x")]);
        }
        let cached =
            (0..(CHANNELS + 10)).filter(|i| h.page(&format!("ch{i}"), &HistoryStart::Skip(0), 1).is_some()).count();
        assert!(cached <= CHANNELS);
    }
}
