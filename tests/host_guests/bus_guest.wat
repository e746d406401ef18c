;; bus_guest.wat -- a guest for tests/test_host_bus.c.
;;
;; Imports the bus host functions and exports thin wrappers, so the test
;; writes subjects and data into memory and drives each import directly,
;; hostile pointers included.
(module
  (import "wasmcap" "bus_publish" (func $bus_publish (param i32 i32 i32 i32) (result i32)))
  (import "wasmcap" "bus_request" (func $bus_request (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmcap" "read_response" (func $read_response (param i32 i32) (result i32)))

  (memory (export "memory") 2)

  (func (export "bus_publish") (param i32 i32 i32 i32) (result i32)
    (call $bus_publish (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "bus_request") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $bus_request (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
                       (local.get 5)))
  (func (export "read_response") (param i32 i32) (result i32)
    (call $read_response (local.get 0) (local.get 1)))
)
