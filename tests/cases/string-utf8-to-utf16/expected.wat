
  (func $"adapt meld:case/api#f" (;3;) (type 1) (param i32 i32) (result i32)
    (local i32 i32 i32 i32)
    local.get 0
    local.get 1
    call $"transcode utf8->utf16 mem1->mem0"
    local.set 3
    local.set 2
    local.get 2
    local.get 3
    call 1
    local.set 4
    local.get 4
    local.set 5
    local.get 5

  (func $"transcode utf8->utf16 mem1->mem0" (;4;) (type 2) (param i32 i32) (result i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i64 i64 i64 i64 i32)
    local.get 0
    i64.extend_i32_u
    local.get 1
    i64.extend_i32_u
    i64.add
    memory.size 1
    i64.extend_i32_u
    i64.const 16
    i64.shl
    i64.gt_u
    if ;; label = @1
      unreachable
    end
    local.get 1
    i32.const 1073741823
    i32.gt_u
    if ;; label = @1
      unreachable
    end
    local.get 1
    i32.const 1
    i32.shl
    local.set 4
    i32.const 0
    global.set 0
    i32.const 0
    i32.const 0
    i32.const 2
    local.get 4
    call 0
    local.set 5
    i32.const 1
    global.set 0
    local.get 5
    i32.const 1
    i32.and
    if ;; label = @1
      unreachable
    end
    local.get 5
    i64.extend_i32_u
    local.get 4
    i64.extend_i32_u
    i64.add
    memory.size
    i64.extend_i32_u
    i64.const 16
    i64.shl
    i64.gt_u
    if ;; label = @1
      unreachable
    end
    local.get 5
    local.set 6
    local.get 0
    local.set 7
    local.get 0
    local.get 1
    i32.add
    local.set 8
    block ;; label = @1
      loop ;; label = @2
        local.get 7
        i32.const 8
        i32.add
        local.get 8
        i32.le_u
        if ;; label = @3
          local.get 7
          i64.load 1
          local.set 10
          local.get 10
          i64.const 4294967295
          i64.and
          local.tee 13
          local.get 13
          i64.const 16
          i64.shl
          i64.or
          i64.const 281470681808895
          i64.and
          local.tee 13
          local.get 13
          i64.const 8
          i64.shl
          i64.or
          i64.const 71777214294589695
          i64.and
          local.set 11
          local.get 10
          i64.const 32
          i64.shr_u
          local.tee 13
          local.get 13
          i64.const 16
          i64.shl
          i64.or
          i64.const 281470681808895
          i64.and
          local.tee 13
          local.get 13
          i64.const 8
          i64.shl
          i64.or
          i64.const 71777214294589695
          i64.and
          local.set 12
          local.get 10
          i64.const -9187201950435737472
          i64.and
          local.tee 10
          i64.eqz
          if ;; label = @4
            local.get 6
            local.get 11
            i64.store
            local.get 6
            local.get 12
            i64.store offset=8
            local.get 7
            i32.const 8
            i32.add
            local.set 7
            local.get 6
            i32.const 16
            i32.add
            local.set 6
            br 1 (;@3;)
          end
          local.get 10
          i64.ctz
          i32.wrap_i64
          i32.const 3
          i32.shr_u
          local.set 14
          local.get 7
          local.get 14
          i32.add
          local.set 7
          local.get 14
          i32.const 1
          i32.shl
          local.set 14
          local.get 14
          i32.const 8
          i32.and
          if ;; label = @4
            local.get 6
            local.get 11
            i64.store
            local.get 6
            i32.const 8
            i32.add
            local.set 6
            local.get 12
            local.set 11
          end
          local.get 14
          i32.const 4
          i32.and
          if ;; label = @4
            local.get 6
            local.get 11
            i32.wrap_i64
            i32.store
            local.get 6
            i32.const 4
            i32.add
            local.set 6
            local.get 11
            i64.const 32
            i64.shr_u
            local.set 11
          end
          local.get 14
          i32.const 2
          i32.and
          if ;; label = @4
            local.get 6
            local.get 11
            i32.wrap_i64
            i32.store16
            local.get 6
            i32.const 2
            i32.add
            local.set 6
            local.get 11
            i64.const 16
            i64.shr_u
            local.set 11
          end
        end
        local.get 7
        local.get 8
        i32.ge_u
        br_if 1 (;@1;)
        local.get 7
        i32.load8_u 1
        local.set 9
        local.get 9
        i32.const 128
        i32.lt_u
        if ;; label = @3
          local.get 7
          i32.const 1
          i32.add
          local.set 7
        else
          local.get 9
          i32.const 194
          i32.lt_u
          local.get 9
          i32.const 244
          i32.gt_u
          i32.or
          if ;; label = @4
            unreachable
          end
          local.get 9
          i32.const 224
          i32.lt_u
          if ;; label = @4
            local.get 7
            i32.const 2
            i32.add
            local.get 8
            i32.gt_u
            if ;; label = @5
              unreachable
            end
            local.get 9
            i32.const 31
            i32.and
            local.set 9
            local.get 7
            i32.load8_u 1 offset=1
            local.set 14
            local.get 14
            i32.const 192
            i32.and
            i32.const 128
            i32.ne
            if ;; label = @5
              unreachable
            end
            local.get 9
            i32.const 6
            i32.shl
            local.get 14
            i32.const 63
            i32.and
            i32.or
            local.set 9
            local.get 9
            i32.const 128
            i32.lt_u
            if ;; label = @5
              unreachable
            end
            local.get 7
            i32.const 2
            i32.add
            local.set 7
          else
            local.get 9
            i32.const 240
            i32.lt_u
            if ;; label = @5
              local.get 7
              i32.const 3
              i32.add
              local.get 8
              i32.gt_u
              if ;; label = @6
                unreachable
              end
              local.get 9
              i32.const 15
              i32.and
              local.set 9
              local.get 7
              i32.load8_u 1 offset=1
              local.set 14
              local.get 14
              i32.const 192
              i32.and
              i32.const 128
              i32.ne
              if ;; label = @6
                unreachable
              end
              local.get 9
              i32.const 6
              i32.shl
              local.get 14
              i32.const 63
              i32.and
              i32.or
              local.set 9
              local.get 7
              i32.load8_u 1 offset=2
              local.set 14
              local.get 14
              i32.const 192
              i32.and
              i32.const 128
              i32.ne
              if ;; label = @6
                unreachable
              end
              local.get 9
              i32.const 6
              i32.shl
              local.get 14
              i32.const 63
              i32.and
              i32.or
              local.set 9
              local.get 9
              i32.const 2048
              i32.lt_u
              if ;; label = @6
                unreachable
              end
              local.get 9
              i32.const 55296
              i32.sub
              i32.const 2048
              i32.lt_u
              if ;; label = @6
                unreachable
              end
              local.get 7
              i32.const 3
              i32.add
              local.set 7
            else
              local.get 7
              i32.const 4
              i32.add
              local.get 8
              i32.gt_u
              if ;; label = @6
                unreachable
              end
              local.get 9
              i32.const 7
              i32.and
              local.set 9
              local.get 7
              i32.load8_u 1 offset=1
              local.set 14
              local.get 14
              i32.const 192
              i32.and
              i32.const 128
              i32.ne
              if ;; label = @6
                unreachable
              end
              local.get 9
              i32.const 6
              i32.shl
              local.get 14
              i32.const 63
              i32.and
              i32.or
              local.set 9
              local.get 7
              i32.load8_u 1 offset=2
              local.set 14
              local.get 14
              i32.const 192
              i32.and
              i32.const 128
              i32.ne
              if ;; label = @6
                unreachable
              end
              local.get 9
              i32.const 6
              i32.shl
              local.get 14
              i32.const 63
              i32.and
              i32.or
              local.set 9
              local.get 7
              i32.load8_u 1 offset=3
              local.set 14
              local.get 14
              i32.const 192
              i32.and
              i32.const 128
              i32.ne
              if ;; label = @6
                unreachable
              end
              local.get 9
              i32.const 6
              i32.shl
              local.get 14
              i32.const 63
              i32.and
              i32.or
              local.set 9
              local.get 9
              i32.const 65536
              i32.lt_u
              if ;; label = @6
                unreachable
              end
              local.get 9
              i32.const 1114111
              i32.gt_u
              if ;; label = @6
                unreachable
              end
              local.get 7
              i32.const 4
              i32.add
              local.set 7
            end
          end
        end
        local.get 9
        i32.const 65536
        i32.lt_u
        if ;; label = @3
          local.get 6
          local.get 9
          i32.store16
          local.get 6
          i32.const 2
          i32.add
          local.set 6
        else
          local.get 6
          local.get 9
          i32.const 65536
          i32.sub
          i32.const 10
          i32.shr_u
          i32.const 55296
          i32.or
          i32.store16
          local.get 6
          local.get 9
          i32.const 1023
          i32.and
          i32.const 56320
          i32.or
          i32.store16 offset=2
          local.get 6
          i32.const 4
          i32.add
          local.set 6
        end
        br 0 (;@2;)
      end
    end
    local.get 6
    local.get 5
    i32.sub
    local.set 6
    local.get 6
    local.get 4
    i32.ne
    if ;; label = @1
      i32.const 0
      global.set 0
      local.get 5
      local.get 4
      i32.const 2
      local.get 6
      call 0
      local.set 5
      i32.const 1
      global.set 0
      local.get 5
      i32.const 1
      i32.and
      if ;; label = @2
        unreachable
      end
      local.get 5
      i64.extend_i32_u
      local.get 6
      i64.extend_i32_u
      i64.add
      memory.size
      i64.extend_i32_u
      i64.const 16
      i64.shl
      i64.gt_u
      if ;; label = @2
        unreachable
      end
    end
    local.get 5
    local.set 2
    local.get 6
    i32.const 1
    i32.shr_u
    local.set 3
    local.get 2
    local.get 3
