//! The one allocation of a series: its metric, a 32-bit reference count, and the bytes of its
//! label values, with nothing between them and no more padding than the allocator's alignment.
//!
//! ```text
//! offset 0          size_of::<M>()   +4        +6
//! | metric M ...    | refs: u32      | tag: u16 | label bytes ...          |
//! ```
//!
//! `tag` holds whether the values need escaping (its lowest bit) and their length (the rest),
//! up to `LONG - 1` bytes. Longer values store `LONG` there and their length as 8 bytes before
//! them. For a counter, 25 bytes of labels take 40 bytes in all, where a general thin `Arc`
//! (a word of count and a word of length beside the metric) takes 56.
//!
//! This is the crate's only `unsafe` code. What it relies on:
//! - the allocation is made, read and freed with the layout [`Shared::layout`] gives for the
//!   length in its tag, which never changes after creation;
//! - the metric and the count are written once, before the pointer is shared, and reached only
//!   through shared references afterwards (they are atomics inside);
//! - the label bytes are written once, before the pointer is shared, and only read afterwards;
//! - the count is the number of `Shared`s that point to the allocation: the last one to drop
//!   drops the metric and frees the allocation, after an acquire fence that orders every use
//!   made through the others before it, as `std::sync::Arc` does.
#![allow(unsafe_code)]

use std::alloc::{self, Layout};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::atomic::{self, AtomicU32, Ordering};

use crate::label::Stored;

/// The tag of label values too long for it: their length is in the 8 bytes before them.
const LONG: u16 = u16::MAX >> 1;

/// More references than this to one series abort the process, as `std::sync::Arc` does past
/// `isize::MAX`: each takes a word of memory, so this many is a leak, and a count that wrapped
/// would free a series still in use.
const MAX_REFS: u32 = i32::MAX as u32;

/// A reference-counted series: one thin pointer (see the module's description).
pub struct Shared<M> {
    ptr: NonNull<u8>,
    /// Owns an `M`, for the drop check and auto traits.
    metric: PhantomData<M>,
}

// SAFETY: a `Shared` gives out `&M` to every thread that holds one, and drops the `M` on
// whichever thread lets go of it last, so it is `Send` and `Sync` when `M` is both, as
// `Arc<M>` is. The label bytes are immutable and the count is atomic.
unsafe impl<M: Send + Sync> Send for Shared<M> {}
// SAFETY: as above.
unsafe impl<M: Send + Sync> Sync for Shared<M> {}

impl<M> Shared<M> {
    /// Where the count is: the first offset after the metric aligned for a `u32`.
    const REFS_AT: usize = size_of::<M>().next_multiple_of(align_of::<AtomicU32>());
    const TAG_AT: usize = Self::REFS_AT + size_of::<AtomicU32>();
    const LABELS_AT: usize = Self::TAG_AT + size_of::<u16>();
    const ALIGN: usize = if align_of::<M>() > align_of::<AtomicU32>() {
        align_of::<M>()
    } else {
        align_of::<AtomicU32>()
    };

    /// A series of `metric` with the label values `packed`; `plain` when none needs escaping.
    pub(crate) fn new(metric: M, packed: &[u8], plain: bool) -> Self {
        let n = packed.len();
        let long = n >= usize::from(LONG);
        let tag = (if long { LONG } else { n as u16 }) << 1 | u16::from(plain);
        let layout = Self::layout(n);
        // SAFETY: the layout's size is at least `LABELS_AT` (6), never zero.
        let raw = unsafe { alloc::alloc(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: `layout` covers the metric at 0 (aligned: `ALIGN` is at least `M`'s), the
        // count at `REFS_AT` and the tag at `TAG_AT` (both aligned: `REFS_AT` is a multiple of
        // 4), then the label bytes and, for long ones, their length. Nothing else can see the
        // allocation yet.
        unsafe {
            ptr.as_ptr().cast::<M>().write(metric);
            ptr.as_ptr()
                .add(Self::REFS_AT)
                .cast::<AtomicU32>()
                .write(AtomicU32::new(1));
            ptr.as_ptr().add(Self::TAG_AT).cast::<u16>().write(tag);
            let mut at = ptr.as_ptr().add(Self::LABELS_AT);
            if long {
                at.cast::<[u8; 8]>().write((n as u64).to_le_bytes());
                at = at.add(8);
            }
            ptr::copy_nonoverlapping(packed.as_ptr(), at, n);
        }
        Shared {
            ptr,
            metric: PhantomData,
        }
    }

    /// The allocation of a series whose label values take `n` bytes (8 more for their length
    /// when it does not fit in the tag).
    fn layout(n: usize) -> Layout {
        let size = Self::LABELS_AT + if n >= usize::from(LONG) { 8 } else { 0 } + n;
        match Layout::from_size_align(size, Self::ALIGN) {
            Ok(layout) => layout.pad_to_align(),
            // `n` bytes exist in memory, so this takes a size near `isize::MAX`.
            Err(_) => panic!("label values of {n} bytes are too long to store"),
        }
    }

    #[inline(always)]
    fn refs(&self) -> &AtomicU32 {
        // SAFETY: the count was written at `REFS_AT` by `new` and lives as long as `self`.
        unsafe { &*self.ptr.as_ptr().add(Self::REFS_AT).cast::<AtomicU32>() }
    }

    #[inline(always)]
    fn tag(&self) -> u16 {
        // SAFETY: the tag was written at `TAG_AT` by `new` and never changes.
        unsafe { self.ptr.as_ptr().add(Self::TAG_AT).cast::<u16>().read() }
    }

    /// The metric.
    #[inline(always)]
    pub(crate) fn metric(&self) -> &M {
        // SAFETY: the metric was written at offset 0 by `new` and is dropped only by the last
        // `Shared`, which `self` outlives; it is only ever reached through shared references.
        unsafe { &*self.ptr.as_ptr().cast::<M>() }
    }

    /// The packed label values.
    #[inline(always)]
    pub(crate) fn labels(&self) -> &[u8] {
        self.stored().packed()
    }

    /// The packed label values, and whether they are plain.
    #[inline(always)]
    pub(crate) fn stored(&self) -> Stored<'_> {
        let tag = self.tag();
        let plain = tag & 1 == 1;
        let short = usize::from(tag >> 1);
        // SAFETY: `new` wrote `short` bytes at `LABELS_AT`, or, when the tag says `LONG`, their
        // length in 8 bytes there and the bytes after them; all are immutable from then on.
        let packed = unsafe {
            let at = self.ptr.as_ptr().add(Self::LABELS_AT);
            if short == usize::from(LONG) {
                let n = u64::from_le_bytes(at.cast::<[u8; 8]>().read()) as usize;
                std::slice::from_raw_parts(at.add(8), n)
            } else {
                std::slice::from_raw_parts(at, short)
            }
        };
        Stored::new(packed, plain)
    }

    /// How many `Shared`s point to this series, this one included.
    #[inline]
    pub(crate) fn count(&self) -> usize {
        self.refs().load(Ordering::Acquire) as usize
    }

    /// The address of the series, the same for every `Shared` pointing to it.
    #[inline]
    pub(crate) fn addr(&self) -> usize {
        self.ptr.as_ptr().addr()
    }
}

impl<M> Clone for Shared<M> {
    #[inline]
    fn clone(&self) -> Self {
        // Relaxed, as in `std::sync::Arc`: a new reference is made from one already held, so
        // the count cannot reach zero meanwhile, and nothing else is published by it.
        if self.refs().fetch_add(1, Ordering::Relaxed) >= MAX_REFS {
            std::process::abort();
        }
        Shared {
            ptr: self.ptr,
            metric: PhantomData,
        }
    }
}

impl<M> Drop for Shared<M> {
    #[inline]
    fn drop(&mut self) {
        if self.refs().fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        // Every other reference's uses happen before their decrements (release), which this
        // fence orders before the metric is dropped and the memory freed.
        atomic::fence(Ordering::Acquire);
        let layout = Self::layout(self.labels().len());
        // SAFETY: this was the last reference: nothing else reads the metric or the bytes.
        // The layout is the one `new` allocated with, found again from the same length.
        unsafe {
            ptr::drop_in_place(self.ptr.as_ptr().cast::<M>());
            alloc::dealloc(self.ptr.as_ptr(), layout);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use crate::counter::Counter;
    use crate::histogram::{Buckets, Histogram};
    use crate::sharded::ShardedCounter;

    #[test]
    fn a_counter_with_25_bytes_of_labels_takes_40_bytes() {
        assert_eq!(Shared::<Counter>::layout(25).size(), 40);
        assert_eq!(Shared::<Counter>::layout(0).size(), 16);
        assert_eq!(size_of::<Option<Shared<Counter>>>(), 8);
    }

    /// Drops are counted, so that a test sees the metric dropped exactly once.
    struct Tracked(Arc<AtomicUsize>);

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn every_length_reads_back_as_written() {
        let lengths = (0..70).chain([usize::from(LONG) - 1, usize::from(LONG), 40_000]);
        for n in lengths {
            let packed: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
            for plain in [false, true] {
                let series = Shared::new(Counter::new(), &packed, plain);
                series.metric().inc_by(n as u64);
                assert_eq!(series.stored().packed(), packed, "{n}");
                assert_eq!(series.stored().plain(), plain, "{n}");
                assert_eq!(series.metric().get(), n as u64);
            }
        }
    }

    #[test]
    fn the_metric_is_dropped_once_with_the_last_reference() {
        let drops = Arc::new(AtomicUsize::new(0));
        let first = Shared::new(Tracked(drops.clone()), b"a", true);
        let second = first.clone();
        assert_eq!((first.count(), first.addr()), (2, second.addr()));
        drop(first);
        assert_eq!(drops.load(Ordering::Relaxed), 0);
        assert_eq!(second.count(), 1);
        drop(second);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn references_dropped_on_several_threads_free_the_series_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let series = Shared::new(Tracked(drops.clone()), b"service", true);
        std::thread::scope(|s| {
            for _ in 0..4 {
                let mine: Vec<_> = (0..100).map(|_| series.clone()).collect();
                s.spawn(move || drop(mine));
            }
        });
        assert_eq!(series.count(), 1);
        drop(series);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn metrics_of_other_sizes_and_alignments_keep_their_place() {
        #[repr(align(64))]
        struct Wide(u8);
        let wide = Shared::new(Wide(7), b"w", true);
        assert_eq!(wide.addr() % 64, 0);
        assert_eq!((wide.metric().0, wide.stored().packed()), (7, &b"w"[..]));
        let sharded = Shared::new(ShardedCounter::new(), b"x", true);
        sharded.metric().inc();
        assert_eq!(sharded.metric().get(), 1);
        let buckets = Buckets::new(vec![1.0, 2.0]).unwrap();
        let histogram = Shared::new(Histogram::new(buckets), b"y\xFFz", false);
        histogram.metric().observe(1.5);
        assert_eq!(histogram.metric().count(), 1);
        assert_eq!(histogram.stored().packed(), b"y\xFFz");
        let unit = Shared::new((), b"", true);
        assert_eq!(unit.stored().packed(), b"");
    }
}
