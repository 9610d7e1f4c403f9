;; no generated functions
