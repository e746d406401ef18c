;; linking.wast:265-276: elements stored before an out-of-bounds element
;; segment traps must persist and stay callable.
(module $Mt
  (type (func (result i32)))
  (table (export "tab") 10 funcref)
  (func (export "call") (param i32) (result i32)
    (call_indirect (type 0) (local.get 0)))
)
(register "Mt" $Mt)
(assert_trap
  (module
    (table (import "Mt" "tab") 10 funcref)
    (func $f (result i32) (i32.const 0))
    (elem (i32.const 7) $f)
    (elem (i32.const 8) $f $f $f $f $f)  ;; (partially) out of bounds
  )
  "out of bounds table access"
)
(assert_return (invoke $Mt "call" (i32.const 7)) (i32.const 0))
(assert_trap (invoke $Mt "call" (i32.const 8)) "uninitialized element")
