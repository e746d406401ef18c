;; host_guest.wat -- a guest for tests/test_host.c.
;;
;; Imports every wasmcap host function and exports thin wrappers, so the
;; test writes inputs into memory and drives each import through the guest.
;; "spin" calls config_get forever (the test cancels it from another thread);
;; "put_get" is a small plugin-like routine done entirely in Wasm.
(module
  (import "wasmcap" "log" (func $log (param i32 i32 i32)))
  (import "wasmcap" "progress" (func $progress (param f64 f64 i32 i32)))
  (import "wasmcap" "config_get" (func $config_get (param i32 i32) (result i32)))
  (import "wasmcap" "kv_get" (func $kv_get (param i32 i32) (result i32)))
  (import "wasmcap" "kv_put" (func $kv_put (param i32 i32 i32 i32) (result i32)))
  (import "wasmcap" "kv_delete" (func $kv_delete (param i32 i32) (result i32)))
  (import "wasmcap" "kv_list" (func $kv_list (param i32 i32) (result i32)))
  (import "wasmcap" "kv_list_page" (func $kv_list_page (param i32 i32 i32 i32) (result i32)))
  (import "wasmcap" "http_fetch" (func $http_fetch (param i32 i32) (result i32)))
  (import "wasmcap" "sample" (func $sample (param i32 i32) (result i32)))
  (import "wasmcap" "elicit" (func $elicit (param i32 i32) (result i32)))
  (import "wasmcap" "read_response" (func $read_response (param i32 i32) (result i32)))

  (memory (export "memory") 20) ;; room for a value over WC_KV_MAX_VALUE
  (data (i32.const 16) "greeting")        ;; key, 8 bytes at 16
  (data (i32.const 32) "hello from wasm") ;; value, 15 bytes at 32

  (func (export "log") (param i32 i32 i32) (call $log (local.get 0) (local.get 1) (local.get 2)))
  (func (export "progress") (param f64 f64 i32 i32)
    (call $progress (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "config_get") (param i32 i32) (result i32) (call $config_get (local.get 0) (local.get 1)))
  (func (export "kv_get") (param i32 i32) (result i32) (call $kv_get (local.get 0) (local.get 1)))
  (func (export "kv_put") (param i32 i32 i32 i32) (result i32)
    (call $kv_put (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "kv_delete") (param i32 i32) (result i32) (call $kv_delete (local.get 0) (local.get 1)))
  (func (export "kv_list") (param i32 i32) (result i32) (call $kv_list (local.get 0) (local.get 1)))
  (func (export "kv_list_page") (param i32 i32 i32 i32) (result i32)
    (call $kv_list_page (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "http_fetch") (param i32 i32) (result i32) (call $http_fetch (local.get 0) (local.get 1)))
  (func (export "sample") (param i32 i32) (result i32) (call $sample (local.get 0) (local.get 1)))
  (func (export "elicit") (param i32 i32) (result i32) (call $elicit (local.get 0) (local.get 1)))
  (func (export "read_response") (param i32 i32) (result i32)
    (call $read_response (local.get 0) (local.get 1)))

  ;; Stores "greeting" = "hello from wasm", reads it back into 64.., and
  ;; returns the number of bytes read (or the first error).
  (func (export "put_get") (result i32) (local $r i32)
    (local.set $r (call $kv_put (i32.const 16) (i32.const 8) (i32.const 32) (i32.const 15)))
    (if (i32.ne (local.get $r) (i32.const 0)) (then (return (local.get $r))))
    (local.set $r (call $kv_get (i32.const 16) (i32.const 8)))
    (if (i32.lt_s (local.get $r) (i32.const 0)) (then (return (local.get $r))))
    (call $read_response (i32.const 64) (local.get $r)))

  ;; Calls config_get in a loop until the call is stopped; returns only
  ;; if a host function traps.
  (func (export "spin") (param i32 i32)
    (loop $again
      (drop (call $config_get (local.get 0) (local.get 1)))
      (br $again)))
)
