;; exceptions with tail calls, br_table out of a catch, and wide payloads (v128,
;; i64, f64) on both tiers: ctest exceptions_mixed_fast and _optimized.
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
)
(assert_return (invoke "a" (i32.const 5)) (i32.const 105))
(assert_return (invoke "b" (i32.const 1000)) (i32.const 1000))
(assert_return (invoke "c") (i64.const 6))
