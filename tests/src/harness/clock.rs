//! The async test host's virtual clock. A call of `meld:test/slow` that
//! takes `n` ticks sleeps until the clock reads `n` ticks later; the clock
//! moves only when nothing else can: when the store's event loop is idle,
//! the harness fires the earliest timer (one at a time, earliest deadline
//! first, then earliest started). Host calls thus finish in an order fixed
//! by what the guests did, not by how many turns an event loop took to do
//! it: the original and the fused output, which take different numbers of
//! turns for the same work, see the same host.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// A virtual clock and its timers.
#[derive(Debug, Default)]
pub struct Clock {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    now: u64,
    /// Timers started so far (the tie-break between equal deadlines).
    started: u64,
    /// Pending timers by (deadline, start), with their futures' wakers.
    timers: BTreeMap<(u64, u64), Option<Waker>>,
}

impl Clock {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A future ready `ticks` ticks from now (at once for 0).
    pub fn sleep(self: &Arc<Self>, ticks: u32) -> Sleep {
        Sleep {
            clock: Arc::clone(self),
            ticks,
            timer: None,
        }
    }

    /// Fires the earliest pending timer; false if there is none.
    pub fn advance(&self) -> bool {
        let mut state = self.state();
        let Some(((deadline, _), waker)) = state.timers.pop_first() else {
            return false;
        };
        state.now = state.now.max(deadline);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }
}

/// A future of [`Clock::sleep`].
#[derive(Debug)]
pub struct Sleep {
    clock: Arc<Clock>,
    ticks: u32,
    timer: Option<(u64, u64)>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.ticks == 0 {
            return Poll::Ready(());
        }
        let clock = Arc::clone(&self.clock);
        let mut state = clock.state();
        let key = match self.timer {
            Some(key) => key,
            None => {
                let key = (state.now + u64::from(self.ticks), state.started);
                state.started += 1;
                self.timer = Some(key);
                key
            }
        };
        let now = state.now;
        match state.timers.get_mut(&key) {
            Some(waker) => {
                *waker = Some(cx.waker().clone());
                Poll::Pending
            }
            // First poll, or fired.
            None if now < key.0 => {
                state.timers.insert(key, Some(cx.waker().clone()));
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // A cancelled call's timer goes with it.
        if let Some(key) = self.timer {
            self.clock.state().timers.remove(&key);
        }
    }
}
