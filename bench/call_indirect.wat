;; call_indirect.wat -- bench/call_indirect_ab.sh's guest: 100 million
;; call_indirect calls to a function of the same instance (a C++ virtual
;; call's shape), summed into a global so that no compiler drops them.
(module
  (type $op (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $add $sub)
  (global $sum (mut i32) (i32.const 0))
  (func $add (type $op) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $op) (i32.sub (local.get 0) (local.get 1)))
  (func (export "_start")
    (local $n i32) (local $s i32)
    (local.set $n (i32.const 100000000))
    (loop $next
      (local.set $s (call_indirect (type $op) (local.get $s) (local.get $n)
                                   (i32.and (local.get $n) (i32.const 1))))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $next))
    (global.set $sum (local.get $s))))
