;; v128 through tail calls: their arguments and results pass through the
;; runtime's area of wc_rt_value slots, where a v128 is 16 of 24 bytes.
(module
  (type $t (func (param v128 i32) (result v128)))
  (table funcref (elem $add_lanes))
  (func $add_lanes (type $t)
    (if (result v128) (i32.eqz (local.get 1))
      (then (local.get 0))
      (else (return_call_indirect (type $t)
              (i32x4.add (local.get 0) (v128.const i32x4 1 2 3 4))
              (i32.sub (local.get 1) (i32.const 1))
              (i32.const 0)))))
  (func (export "count") (param v128 i32) (result v128)
    (return_call $add_lanes (local.get 0) (local.get 1)))
  (func (export "pair") (param v128) (result v128 v128)
    (return_call $swap (local.get 0) (i8x16.splat (i32.const 7))))
  (func $swap (param v128 v128) (result v128 v128) (local.get 1) (local.get 0)))

(assert_return (invoke "count" (v128.const i32x4 0 0 0 0) (i32.const 0)) (v128.const i32x4 0 0 0 0))
(assert_return (invoke "count" (v128.const i32x4 10 20 30 40) (i32.const 1000))
               (v128.const i32x4 1010 2020 3030 4040))
(assert_return (invoke "pair" (v128.const i64x2 -1 0x0123456789abcdef))
               (v128.const i8x16 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7)
               (v128.const i64x2 -1 0x0123456789abcdef))
