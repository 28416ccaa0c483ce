//! The rows of many groups in one arena, grouped only when emitted: the
//! partial state of the aggregates that keep their groups' rows
//! (`window_funnel`, `rfm`). One allocation for all groups instead of one
//! per group, and the group index beside each row (inside the row where
//! it has room: a funnel row's 12 bytes and the index fill 16).

use datafusion_common::{exec_err, Result};
use datafusion_expr::EmitTo;

/// A row as the arena keeps it: with the index of its group.
pub(crate) trait Slot: Copy + Default {
    /// The row's group.
    fn group(&self) -> u32;
    /// Sets the row's group.
    fn set_group(&mut self, group: u32);
}

/// Any row `T` beside its group index (for rows without room for one).
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub(crate) struct Grouped<T> {
    pub(crate) row: T,
    group: u32,
}

impl<T> Grouped<T> {
    pub(crate) fn new(row: T) -> Grouped<T> {
        Grouped { row, group: 0 }
    }
}

impl<T: Copy + Default> Slot for Grouped<T> {
    fn group(&self) -> u32 {
        self.group
    }

    fn set_group(&mut self, group: u32) {
        self.group = group;
    }
}

/// Rows of groups `0..groups`, in arrival order.
#[derive(Debug)]
pub(crate) struct Arena<S> {
    rows: Vec<S>,
    groups: usize,
}

impl<S: Slot> Arena<S> {
    pub(crate) fn new() -> Arena<S> {
        Arena {
            rows: Vec::new(),
            groups: 0,
        }
    }

    /// Makes room for groups `0..total` (DataFusion's `total_num_groups`).
    pub(crate) fn set_groups(&mut self, function: &str, total: usize) -> Result<()> {
        if total > u32::MAX as usize {
            return exec_err!("{function}: more than 2^32 groups in one accumulator");
        }
        self.groups = self.groups.max(total);
        Ok(())
    }

    /// Adds a row of group `group` (below the groups set).
    pub(crate) fn push(&mut self, group: usize, mut row: S) {
        // Below 2^32: checked by set_groups.
        row.set_group(group as u32);
        self.rows.push(row);
    }

    /// Takes the rows of the first `n` groups (all of them for
    /// `EmitTo::All`), grouped by a counting sort that keeps arrival order
    /// within a group, each written as `f` maps it: `offsets` (one more
    /// than the groups taken) into the rows. The groups left are
    /// renumbered from 0.
    pub(crate) fn take<R: Copy + Default>(
        &mut self,
        emit: EmitTo,
        f: impl Fn(S) -> R,
    ) -> (Vec<usize>, Vec<R>) {
        let n = match emit {
            EmitTo::All => self.groups,
            EmitTo::First(k) => k.min(self.groups),
        };
        let mut offsets = vec![0usize; n + 1];
        for r in &self.rows {
            if let Some(c) = offsets.get_mut(r.group() as usize + 1) {
                *c += 1;
            }
        }
        for g in 0..n {
            offsets[g + 1] += offsets[g];
        }
        let mut out = vec![R::default(); offsets[n]];
        // Each group's next free place: its start, moved along.
        let mut next = offsets[..n].to_vec();
        let mut kept = 0;
        for i in 0..self.rows.len() {
            let mut row = self.rows[i];
            let g = row.group() as usize;
            if let Some(at) = next.get_mut(g) {
                out[*at] = f(row);
                *at += 1;
            } else {
                // Below 2^32: a group index less n.
                row.set_group((g - n) as u32);
                self.rows[kept] = row;
                kept += 1;
            }
        }
        self.rows.truncate(kept);
        if emit == EmitTo::All {
            self.rows = Vec::new();
        }
        self.groups -= n;
        (offsets, out)
    }

    /// The bytes held.
    pub(crate) fn size(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<S>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_groups_and_renumbers() {
        let mut a: Arena<Grouped<i64>> = Arena::new();
        a.set_groups("t", 4).unwrap();
        for (g, v) in [(2, 20), (0, 1), (3, 30), (0, 2), (2, 21)] {
            a.push(g, Grouped::new(v));
        }
        let (off, rows) = a.take(EmitTo::First(3), |s| s.row);
        assert_eq!(off, vec![0, 2, 2, 4]);
        assert_eq!(rows, vec![1, 2, 20, 21]);
        // Group 3 is now group 0.
        let (off, rows) = a.take(EmitTo::All, |s| s.row);
        assert_eq!((off, rows), (vec![0, 1], vec![30]));
        assert!(a.set_groups("t", u32::MAX as usize + 1).is_err());
    }
}
