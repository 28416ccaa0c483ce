//! The partial state shared by `window_funnel` and `rfm`: a group's rows
//! as two parallel Arrow lists of primitives (times and conditions; days
//! and amounts), written from grouped rows and read back element by
//! element.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListArray, PrimitiveArray};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{ArrowPrimitiveType, Field};
use datafusion_common::{exec_err, Result, ScalarValue};

/// Two lists per group: `offsets` (one more than the groups) into the
/// parallel columns `a` and `b`.
pub(crate) fn write_pairs<A: ArrowPrimitiveType, B: ArrowPrimitiveType>(
    function: &str,
    offsets: Vec<usize>,
    a: PrimitiveArray<A>,
    b: PrimitiveArray<B>,
) -> Result<Vec<ArrayRef>> {
    if a.len() > i32::MAX as usize {
        return exec_err!("{function}: a partial state of more than 2^31 rows");
    }
    // Below i32::MAX: checked above (offsets never exceed the rows).
    let offsets: Vec<i32> = offsets.into_iter().map(|o| o as i32).collect();
    let offsets = OffsetBuffer::new(offsets.into());
    let list = |values: ArrayRef, offsets: OffsetBuffer<i32>| -> Result<ArrayRef> {
        let field = Arc::new(Field::new_list_field(values.data_type().clone(), false));
        Ok(Arc::new(ListArray::try_new(field, offsets, values, None)?))
    };
    Ok(vec![
        list(Arc::new(a), offsets.clone())?,
        list(Arc::new(b), offsets)?,
    ])
}

/// Calls `f(row, a, b)` for each element of each row of partial states
/// written by [`write_pairs`] (a NULL row holds nothing).
pub(crate) fn read_pairs<A: ArrowPrimitiveType, B: ArrowPrimitiveType>(
    function: &str,
    values: &[ArrayRef],
    mut f: impl FnMut(usize, A::Native, B::Native),
) -> Result<()> {
    let (Some(la), Some(lb)) = (
        values.first().and_then(|x| x.as_list_opt::<i32>()),
        values.get(1).and_then(|x| x.as_list_opt::<i32>()),
    ) else {
        return exec_err!("{function}: a partial state is two lists");
    };
    let (Some(va), Some(vb)) = (
        la.values().as_primitive_opt::<A>(),
        lb.values().as_primitive_opt::<B>(),
    ) else {
        return exec_err!(
            "{function}: a partial state holds {} and {}",
            A::DATA_TYPE,
            B::DATA_TYPE
        );
    };
    let (oa, ob) = (la.value_offsets(), lb.value_offsets());
    for row in 0..la.len().min(lb.len()) {
        if la.is_null(row) || lb.is_null(row) {
            continue;
        }
        let (s, e) = (oa[row] as usize, oa[row + 1] as usize);
        let (t, u) = (ob[row] as usize, ob[row + 1] as usize);
        if e - s != u - t {
            return exec_err!("{function}: a partial state's two lists differ in length");
        }
        for (&x, &y) in va.values()[s..e].iter().zip(&vb.values()[t..u]) {
            f(row, x, y);
        }
    }
    Ok(())
}

/// The offsets of a state with one list per input row (`len` rows), of
/// one element for each row in `taken` (ascending) and none otherwise:
/// `convert_to_state`'s shape.
pub(crate) fn one_per_row(len: usize, taken: &[usize]) -> Vec<usize> {
    let mut offsets = vec![0usize; len + 1];
    for &i in taken {
        offsets[i + 1] = 1;
    }
    for i in 0..len {
        offsets[i + 1] += offsets[i];
    }
    offsets
}

/// One group's state (lists of one row each) as scalars.
pub(crate) fn scalars(lists: Vec<ArrayRef>) -> Vec<ScalarValue> {
    lists
        .into_iter()
        .map(|a| ScalarValue::List(Arc::new(a.as_list::<i32>().clone())))
        .collect()
}
