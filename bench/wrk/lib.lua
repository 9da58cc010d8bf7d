-- lib.lua: loads report.lua from the directory of the calling script, so the
-- scripts work from any working directory. Usage, first line of a script:
--   dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")
