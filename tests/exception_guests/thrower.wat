;; thrower.wat -- the instance that owns the tag (tests/test_exceptions.c):
;; it throws, across frames of its own, to whoever calls it (by import, or
;; through the table it shares).
(module
  (tag $e (export "e") (param i32))
  (table (export "table") 1 funcref)
  (elem (i32.const 0) $deep)
  (func $throw (export "throw") (param i32)
    (throw $e (local.get 0)))
  ;; n frames of this instance between the caller and the throw
  (func $deep (export "deep") (param i32)
    (if (i32.eqz (local.get 0))
      (then (throw $e (i32.const 42))))
    (call $deep (i32.sub (local.get 0) (i32.const 1)))))
