-- sysbench script doing what geobench's peer comparison does: a YCSB usertable with 10
-- VARCHAR(100) fields, ordered keys user0..user{N-1}, and per event one of the two statements
-- of YCSB workload A (50% SELECT * by key, 50% UPDATE of one random field), uniform keys,
-- prepared statements. `prepare` loads in one stream of 100-row INSERTs (sysbench's usual way).
--   sysbench ycsb_5050.lua --records=100000 prepare|run|cleanup  (plus --mysql-* options)

sysbench.cmdline.options = {
  records = {"Number of records", 100000},
  fields = {"Fields per record", 10},
  fieldlength = {"Bytes per field", 100},
}

local function value(n)
  -- Printable bytes, as YCSB's values (the content does not matter to the server here).
  return sysbench.rand.string(string.rep("@", n))
end

function prepare()
  local con = sysbench.sql.driver():connect()
  local cols = {}
  for i = 0, sysbench.opt.fields - 1 do
    cols[#cols + 1] = string.format("FIELD%d VARCHAR(%d)", i, sysbench.opt.fieldlength)
  end
  con:query("CREATE TABLE IF NOT EXISTS usertable (YCSB_KEY VARCHAR(64) PRIMARY KEY, " ..
    table.concat(cols, ", ") .. ")")
  local batch = {}
  for k = 0, sysbench.opt.records - 1 do
    local vals = {}
    for i = 1, sysbench.opt.fields do
      vals[i] = "'" .. value(sysbench.opt.fieldlength) .. "'"
    end
    batch[#batch + 1] = "('user" .. k .. "'," .. table.concat(vals, ",") .. ")"
    if #batch == 100 or k == sysbench.opt.records - 1 then
      con:query("INSERT INTO usertable VALUES " .. table.concat(batch, ","))
      batch = {}
    end
  end
end

function cleanup()
  local con = sysbench.sql.driver():connect()
  con:query("DROP TABLE IF EXISTS usertable")
end

function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  read_stmt = con:prepare("SELECT * FROM usertable WHERE YCSB_KEY = ?")
  read_key = read_stmt:bind_create(sysbench.sql.type.VARCHAR, 64)
  read_stmt:bind_param(read_key)
  update_stmts = {}
  for i = 0, sysbench.opt.fields - 1 do
    local s = con:prepare(string.format("UPDATE usertable SET FIELD%d = ? WHERE YCSB_KEY = ?", i))
    local v = s:bind_create(sysbench.sql.type.VARCHAR, sysbench.opt.fieldlength)
    local k = s:bind_create(sysbench.sql.type.VARCHAR, 64)
    s:bind_param(v, k)
    update_stmts[i] = {stmt = s, val = v, key = k}
  end
end

function event()
  local key = "user" .. sysbench.rand.uniform(0, sysbench.opt.records - 1)
  if sysbench.rand.uniform(0, 1) == 0 then
    read_key:set(key)
    read_stmt:execute()
  else
    local u = update_stmts[sysbench.rand.uniform(0, sysbench.opt.fields - 1)]
    u.val:set(value(sysbench.opt.fieldlength))
    u.key:set(key)
    u.stmt:execute()
  end
end

function thread_done()
  read_stmt:close()
  for _, u in pairs(update_stmts) do u.stmt:close() end
  con:disconnect()
end
