' A caller of tests/com_test.ts that dies mid-call (run by Wine's cscript.exe):
'   cscript //nologo com_wait.vbs MONIKER
' calls wait() on the JS object named MONIKER in the Running Object Table; the test kills this
' process while the call is still being served.
Set o = GetObject(WScript.Arguments(0))
o.wait
WScript.Echo "the call returned"
