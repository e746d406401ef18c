;; catcher.wat -- imports thrower.wat's tag and functions and catches what
;; they throw (tests/test_exceptions.c); env.host calls back into it.
(module
  (import "a" "e" (tag $e (param i32)))
  (import "a" "throw" (func $throw (param i32)))
  (import "a" "deep" (func $deep (param i32)))
  (import "env" "host" (func $host (param i32) (result i32)))
  (import "a" "table" (table 1 funcref))
  (type $deep_type (func (param i32)))
  (tag $local (param i64))

  ;; a tag of another instance, caught by identity: the payload plus one
  (func (export "across") (param i32) (result i32)
    (try (result i32)
      (do (call $throw (local.get 0)) (i32.const -1))
      (catch $e (i32.add (i32.const 1)))))

  ;; n frames of the other instance unwound
  (func (export "deep") (param i32) (result i32)
    (try (result i32)
      (do (call $deep (local.get 0)) (i32.const -1))
      (catch $e)))

  ;; n throws across `depth` frames of the other instance, all caught
  (func (export "deep_loop") (param $n i32) (param $depth i32) (result i32)
    (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (try
          (do (call $deep (local.get $depth)))
          (catch $e (local.set $sum (i32.add (local.get $sum)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  ;; the same through the shared table (call_indirect, not an import)
  (func (export "deep_loop_indirect") (param $n i32) (param $depth i32) (result i32)
    (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (try
          (do (call_indirect (type $deep_type) (local.get $depth) (i32.const 0)))
          (catch $e (local.set $sum (i32.add (local.get $sum)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  ;; n throws and catches in this function: the sum of the payloads
  (func (export "loop") (param $n i32) (result i64)
    (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (try
          (do (throw $local (i64.extend_i32_u (local.get $n))))
          (catch $local (local.set $sum (i64.add (local.get $sum)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  ;; throws and catches until a deadline stops it
  (func (export "forever")
    (loop $again
      (try (do (throw $local (i64.const 1))) (catch_all))
      (br $again)))

  ;; a trap is not an exception: catch_all does not take it
  (func (export "trap_in_try") (result i32)
    (try (result i32)
      (do (unreachable))
      (catch_all (i32.const 7))))

  ;; the caught exception thrown again, to the outer try
  (func (export "rethrow") (param i32) (result i32)
    (try (result i32)
      (do
        (try
          (do (throw $e (local.get 0)))
          (catch $e (drop) (rethrow 0)))
        (i32.const -1))
      (catch $e (i32.const 1000) (i32.add))))

  ;; delegate 1 names the function: past the outer try's catch_all, to the caller
  (func $delegating (param i32)
    (try
      (do
        (try
          (do (throw $e (local.get 0)))
          (delegate 1)))
      (catch_all (unreachable))))
  (func (export "delegate_to_caller") (param i32) (result i32)
    (try (result i32)
      (do (call $delegating (local.get 0)) (i32.const -1))
      (catch $e)))

  ;; no handler: the host gets the trap "uncaught exception"
  (func (export "uncaught")
    (throw $e (i32.const 5)))

  ;; a local changed in the try is seen by the catch
  (func (export "locals") (param i32) (result i32)
    (local $x i32)
    (local.set $x (i32.const 10))
    (try
      (do
        (local.set $x (i32.add (local.get $x) (local.get 0)))
        (call $throw (i32.const 0)))
      (catch $e (drop)))
    (local.get $x))

  ;; env.host calls "uncaught" back: that exception stops at the host
  ;; boundary, this try's catch_all does not see it
  (func (export "via_host") (result i32)
    (try (result i32)
      (do (call $host (i32.const 0)))
      (catch_all (i32.const -2))))

  ;; n branches out of a try body, and of a catch body: each takes its
  ;; handler (and exception) off, so the throw at the end finds this
  ;; function's try
  (func (export "branch_out") (param $n i32) (result i32)
    (loop $again
      (block $out
        (try
          (do (br $out))
          (catch_all)))
      (block $out2
        (try
          (do (call $throw (i32.const 1)))
          (catch $e (br $out2))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (try (result i32)
      (do (call $throw (i32.const 9)) (i32.const -1))
      (catch $e)))

  ;; return out of a try body and out of a catch body
  (func $return_in_try (result i32)
    (try (result i32)
      (do (return (i32.const 3)))
      (catch_all (i32.const 4))))
  (func $return_in_catch (result i32)
    (try (result i32)
      (do (call $throw (i32.const 1)) (i32.const 0))
      (catch $e (return))))
  (func (export "returns") (result i32)
    (try (result i32)
      (do
        (drop (call $return_in_try))
        (drop (call $return_in_catch))
        (call $throw (i32.const 11))
        (i32.const -1))
      (catch $e))))
