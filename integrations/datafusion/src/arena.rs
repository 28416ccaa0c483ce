//! The rows of many groups in one arena, grouped only when emitted: the
//! partial state of the aggregates that keep their groups' rows
//! (`window_funnel`, `rfm`). One allocation for all groups instead of one
//! per group, and the group index beside each row.

use datafusion_common::{exec_err, Result};
use datafusion_expr::EmitTo;

/// Rows of type `T` of groups `0..groups`, in arrival order.
#[derive(Debug)]
pub(crate) struct Arena<T> {
    rows: Vec<(T, u32)>,
    groups: usize,
}

impl<T: Copy + Default> Arena<T> {
    pub(crate) fn new() -> Arena<T> {
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
    pub(crate) fn push(&mut self, group: usize, row: T) {
        // Below 2^32: checked by set_groups.
        self.rows.push((row, group as u32));
    }

    /// Takes the rows of the first `n` groups (all of them for
    /// `EmitTo::All`), grouped by a counting sort that keeps arrival order
    /// within a group: `offsets` (one more than the groups taken) into the
    /// rows. The groups left are renumbered from 0.
    pub(crate) fn take(&mut self, emit: EmitTo) -> (Vec<usize>, Vec<T>) {
        let n = match emit {
            EmitTo::All => self.groups,
            EmitTo::First(k) => k.min(self.groups),
        };
        let mut offsets = vec![0usize; n + 1];
        for &(_, g) in &self.rows {
            if let Some(c) = offsets.get_mut(g as usize + 1) {
                *c += 1;
            }
        }
        for g in 0..n {
            offsets[g + 1] += offsets[g];
        }
        let mut out = vec![T::default(); offsets[n]];
        let mut next = offsets.clone();
        let mut kept = 0;
        for i in 0..self.rows.len() {
            let (row, g) = self.rows[i];
            let g = g as usize;
            if g < n {
                out[next[g]] = row;
                next[g] += 1;
            } else {
                // Below 2^32: a group index less n.
                self.rows[kept] = (row, (g - n) as u32);
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
        self.rows.capacity() * std::mem::size_of::<(T, u32)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_groups_and_renumbers() {
        let mut a: Arena<i64> = Arena::new();
        a.set_groups("t", 4).unwrap();
        for (g, v) in [(2, 20), (0, 1), (3, 30), (0, 2), (2, 21)] {
            a.push(g, v);
        }
        let (off, rows) = a.take(EmitTo::First(3));
        assert_eq!(off, vec![0, 2, 2, 4]);
        assert_eq!(rows, vec![1, 2, 20, 21]);
        // Group 3 is now group 0.
        let (off, rows) = a.take(EmitTo::All);
        assert_eq!((off, rows), (vec![0, 1], vec![30]));
        assert!(a.set_groups("t", u32::MAX as usize + 1).is_err());
    }
}
