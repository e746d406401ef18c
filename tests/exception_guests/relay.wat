;; relay.wat -- a unit without exception handling between a throw and its
;; catch (tests/test_exceptions.c): it calls thrower.wat's $deep through
;; the table they share, by call_indirect or by return_call_indirect, and
;; the exception passes through its frame to catcher.wat.
(module
  (import "a" "table" (table 1 funcref))
  (type $deep_type (func (param i32)))
  (func (export "deep") (param i32)
    (call_indirect (type $deep_type) (local.get 0) (i32.const 0)))
  (func (export "deep_tail") (param i32)
    (return_call_indirect (type $deep_type) (local.get 0) (i32.const 0))))
