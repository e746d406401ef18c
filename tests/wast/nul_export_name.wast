;; names.wast:615/637: an export whose name holds NUL bytes is distinct from "".
(module
  (func (export "") (result i32) (i32.const 0))
  (func (export "\00\01") (result i32) (i32.const 22))
)
(assert_return (invoke "") (i32.const 0))
(assert_return (invoke "\00\01") (i32.const 22))
