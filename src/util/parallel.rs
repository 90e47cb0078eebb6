//! Mapping over a slice on several threads, order kept: the calling thread works too, and each
//! thread takes the next unclaimed item, so items of very different cost (one slow interpreter
//! probe, one target with a big dependency tree) balance themselves.

use std::sync::atomic::{AtomicUsize, Ordering};

/// One thread per core (at least one).
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// `items.iter().map(f).collect()` on up to `threads` threads (the caller's among them).
/// A panic in `f` is resumed on the calling thread.
pub(crate) fn map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut out: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
        let mut place = |part: Vec<(usize, R)>| {
            for (i, r) in part {
                out[i] = Some(r);
            }
        };
        place(work());
        for handle in handles {
            match handle.join() {
                Ok(part) => place(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out.into_iter().flatten().collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_whatever_the_thread_count() {
        let items: Vec<u64> = (0..100).collect();
        let expected: Vec<u64> = items.iter().map(|i| i * i).collect();
        for threads in [0, 1, 2, 7, 200] {
            assert_eq!(
                map(&items, threads, |i| i * i),
                expected,
                "{threads} threads"
            );
        }
        assert_eq!(map(&[] as &[u64], 4, |i| *i), Vec::<u64>::new());
    }
}
