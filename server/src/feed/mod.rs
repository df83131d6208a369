//! The live feed, separate from any transport: the [`hub`] (one `LISTEN` connection per
//! process, fanned out in-process), the [`replay`] a subscription reads from the event log
//! before going live, and [`shared`] executions that clients sending the same subscription
//! share. The SQL they run is in `db::events`.

pub mod hub;
pub mod replay;
pub mod shared;

pub use hub::{FeedEvent, HUB_CAPACITY, Hub, ListenerState};
pub use replay::Pace;
