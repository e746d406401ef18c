;; exceptions.wat -- bench_exceptions' guest: the same counting loop with a
;; throw caught each iteration, with a try entered and left without a throw
;; around a call, with a plain block around the same call (the baseline),
;; and with a try around no call (which can raise nothing: emitted as a
;; block).
(module
  (tag $t (param i32))
  (func (export "throws") (param $n i32) (result i32)
    (local $sum i32)
    (loop $next
      (try
        (do (throw $t (local.get $n)))
        (catch $t (local.set $sum (i32.add (local.get $sum)))))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $next))
    (local.get $sum))
  (func $add (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "tries") (param $n i32) (result i32)
    (local $sum i32)
    (loop $next
      (try
        (do (local.set $sum (call $add (local.get $sum) (local.get $n))))
        (catch_all))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $next))
    (local.get $sum))
  (func (export "inert_tries") (param $n i32) (result i32)
    (local $sum i32)
    (loop $next
      (try
        (do (local.set $sum (i32.add (local.get $sum) (local.get $n))))
        (catch_all))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $next))
    (local.get $sum))
  (func (export "blocks") (param $n i32) (result i32)
    (local $sum i32)
    (loop $next
      (block
        (local.set $sum (call $add (local.get $sum) (local.get $n))))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $next))
    (local.get $sum)))
