;; bench/fib.wat -- a call-bound guest (fib 38 by plain recursion, ~126 million calls),
;; a WASI command whose exit status is fib(38) & 1: what a per-call cost such as
;; the stack probe at every function entry shows on.  wat2wasm bench/fib.wat -o fib.wasm
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "_start") (call $exit (i32.and (call $fib (i32.const 38)) (i32.const 1)))))
