;; The root imports a component and hands it to an inner component that
;; instantiates it: meld cannot fuse code it does not have, and the error
;; names the inner component (`root/app`, from the instance's name).
(component
  (import "plugin" (component $plugin))
  (component $host
    (import "c" (component $c))
    (instance (instantiate $c)))
  (instance $app (instantiate $host (with "c" (component $plugin)))))
