//! The calibration/holdout table, worked by hand on a small case.

use revops::clv::{
    holdout_table, BgNbd, CalibrationHoldout, CustomerRfm, ParetoNbd, PurchaseModel,
};

fn c(id: &str, x: u64, tx: i64, t: i64, holdout: u64) -> CalibrationHoldout<String> {
    CalibrationHoldout {
        calibration: CustomerRfm {
            customer: id.to_string(),
            frequency: x,
            recency: tx,
            age: t,
            monetary_value: if x > 0 {
                Some(revops::Money::parse("10", "USD").unwrap())
            } else {
                None
            },
        },
        holdout_frequency: holdout,
        holdout_monetary_value: None,
        holdout_duration: 26,
    }
}

#[test]
fn groups_and_means_by_hand() {
    let customers = [
        c("a", 0, 0, 30, 0),
        c("b", 0, 0, 12, 1),
        c("c", 1, 5, 30, 0),
        c("d", 2, 20, 30, 1),
        c("e", 3, 29, 30, 3),
        c("f", 7, 25, 30, 5),
    ];
    fn check<M: PurchaseModel<History = revops::clv::History>>(
        m: &M,
        customers: &[CalibrationHoldout<String>],
    ) {
        let p = |i: usize| {
            m.conditional_expected_purchases(&customers[i].calibration.history().unwrap(), 26.0)
                .unwrap()
        };
        let t = holdout_table(m, customers, 2, 3).unwrap();
        assert_eq!(t.customers, 6);
        // Frequency 0: a, b; 1: c; 2+: d, e, f.
        let f: Vec<_> = t
            .by_frequency
            .iter()
            .map(|r| (r.from, r.to, r.customers))
            .collect();
        assert_eq!(f, [(0, Some(0), 2), (1, Some(1), 1), (2, None, 3)]);
        assert_eq!(t.by_frequency[0].mean_actual, 0.5);
        assert_eq!(t.by_frequency[1].mean_actual, 0.0);
        assert_eq!(t.by_frequency[2].mean_actual, 3.0);
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
        assert!(close(t.by_frequency[0].mean_predicted, (p(0) + p(1)) / 2.0));
        assert!(close(
            t.by_frequency[2].mean_predicted,
            (p(3) + p(4) + p(5)) / 3.0
        ));
        // Recency up to 29 in 3 buckets of 10: a, b, c in 0–9; d, e, f
        // (20, 29, 25) in 20–29; none in 10–19, left out.
        let r: Vec<_> = t
            .by_recency
            .iter()
            .map(|r| (r.from, r.to, r.customers))
            .collect();
        assert_eq!(r, [(0, Some(9), 3), (20, Some(29), 3)]);
        assert!(close(t.by_recency[0].mean_actual, 1.0 / 3.0));
        assert!(close(
            t.by_recency[1].mean_predicted,
            (p(3) + p(4) + p(5)) / 3.0
        ));
        assert!(close(t.mean_actual, 10.0 / 6.0));
        assert!(close(t.mean_predicted, (0..6).map(p).sum::<f64>() / 6.0));
    }
    // One function for every purchase model.
    check(&BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap(), &customers);
    check(
        &ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap(),
        &customers,
    );
    let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    assert!(holdout_table(&m, &customers, 0, 3).is_err());
    assert!(holdout_table(&m, &customers, 2, 0).is_err());
    let empty: [CalibrationHoldout<String>; 0] = [];
    let t = holdout_table(&m, &empty, 2, 3).unwrap();
    assert!(t.by_frequency.is_empty() && t.customers == 0);
    // A holdout of no periods predicts nothing; a negative one is refused.
    let mut none = c("g", 2, 20, 30, 0);
    none.holdout_duration = 0;
    let t = holdout_table(&m, std::slice::from_ref(&none), 2, 3).unwrap();
    assert_eq!((t.customers, t.mean_predicted), (1, 0.0));
    none.holdout_duration = -1;
    assert!(holdout_table(&m, &[none], 2, 3).is_err());
}
