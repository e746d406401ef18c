;; Elements written into an imported table before an instantiation traps
;; must stay callable (linking.wast:277-288).
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
    (memory 1)
    (data (i32.const 0x10000) "d")  ;; out of bounds
  )
  "out of bounds memory access"
)
(assert_return (invoke $Mt "call" (i32.const 7)) (i32.const 0))
