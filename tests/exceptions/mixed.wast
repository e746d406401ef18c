;; exceptions with tail calls, br_table out of a catch, wide payloads (v128,
;; i64, f64) and volatile locals of every type (a try's function) on both
;; tiers: ctest exceptions_mixed_fast and _optimized.
(module
  (tag $e (param i32))
  (func $thrower (param i32) (result i32) (throw $e (local.get 0)))
  (func $id (param i32) (result i32) (local.get 0))
  ;; a return_call out of a try body: the handler comes off
  (func $tc (param i32) (result i32)
    (try (result i32) (do (return_call $id (local.get 0))) (catch_all (i32.const -1))))
  ;; return_call to a thrower from inside a try: the try does not catch (its frame is gone)
  (func $tc_throw (param i32) (result i32)
    (try (result i32) (do (return_call $thrower (local.get 0))) (catch_all (i32.const -1))))
  (func (export "a") (param i32) (result i32)
    (drop (call $tc (i32.const 1)))
    (try (result i32) (do (call $tc_throw (local.get 0))) (catch $e (i32.const 100) (i32.add))))
  ;; catch in a loop with br_table out of the catch
  (func (export "b") (param i32) (result i32)
    (local $n i32)
    (block $out
      (loop $l
        (try (do (throw $e (local.get $n)))
          (catch $e
            (br_table $l $out (i32.ge_u (local.tee $n (i32.add (i32.const 1))) (local.get 0)))))
      ))
    (local.get $n))
  ;; v128 and i64 payloads
  (tag $big (param i64 f64 v128))
  (func (export "c") (result i64)
    (try (result i64)
      (do (throw $big (i64.const 5) (f64.const 2.5) (v128.const i64x2 7 9)))
      (catch $big (drop) (drop) (i64.const 1) (i64.add))))
  ;; locals of every type in a function with a try, changed in its body
  (func (export "d") (param $r externref) (result i64 externref i32)
    (local $v v128) (local $f funcref) (local $x f32) (local $y f64) (local $i i64)
    (local.set $v (v128.const i64x2 1 2))
    (try
      (do
        (local.set $v (i64x2.add (local.get $v) (local.get $v)))
        (local.set $f (ref.func $id))
        (local.set $x (f32.const 1.5))
        (local.set $y (f64.const 2.5))
        (local.set $i (i64.const 3))
        (throw $e (i32.const 0)))
      (catch $e (drop)))
    (i64.add (i64x2.extract_lane 1 (local.get $v))
             (i64.add (local.get $i)
                      (i64.trunc_f64_s (f64.add (local.get $y) (f64.promote_f32 (local.get $x))))))
    (local.get $r)
    (ref.is_null (local.get $f)))
  (elem declare func $id)
)
(assert_return (invoke "a" (i32.const 5)) (i32.const 105))
(assert_return (invoke "b" (i32.const 1000)) (i32.const 1000))
(assert_return (invoke "c") (i64.const 6))
(assert_return (invoke "d" (ref.extern 1)) (i64.const 11) (ref.extern 1) (i32.const 0))

;; tries whose bodies have no call and no throw run as plain blocks (no
;; handler): a trap inside one still traps past its catch_all; a br out of
;; one inside a try that has a handler takes that handler off, so a later
;; throw reaches the caller's try; one inside a catch body keeps the caught
;; exception for the rethrow after it.
(module
  (tag $e (param i32))
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func (export "trap_in_inert") (param $d i32) (result i32)
    (try (result i32)
      (do (i32.div_u (i32.const 7) (local.get $d)))
      (catch_all (i32.const -1))))
  (func $leave_through_inert (param $x i32)
    (block $out2
      (try
        (do
          (try
            (do (br_if $out2 (local.get $x)))
            (catch_all))
          (call $thrower (i32.const 1)))
        (catch $e (drop))))
    (call $thrower (i32.const 42)))
  (func (export "br_out_of_inert") (param $x i32) (result i32)
    (try (result i32)
      (do (call $leave_through_inert (local.get $x)) (i32.const 0))
      (catch $e)))
  (func (export "inert_in_catch") (result i32)
    (try (result i32)
      (do
        (try
          (do (call $thrower (i32.const 9)))
          (catch $e
            (drop)
            (try (do (nop)) (catch_all))
            (rethrow 0)))
        (i32.const 0))
      (catch $e)))
)
(assert_trap (invoke "trap_in_inert" (i32.const 0)) "integer divide by zero")
(assert_return (invoke "trap_in_inert" (i32.const 7)) (i32.const 1))
(assert_return (invoke "br_out_of_inert" (i32.const 1)) (i32.const 42))
(assert_return (invoke "br_out_of_inert" (i32.const 0)) (i32.const 42))
(assert_return (invoke "inert_in_catch") (i32.const 9))
