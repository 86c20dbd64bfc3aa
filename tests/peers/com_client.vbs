' The VBScript client of tests/com_test.ts (run by Wine's cscript.exe):
'   cscript //nologo com_client.vbs MONIKER PROGID
' MONIKER names a JS object in the Running Object Table; PROGID a class whose objects JS makes.
Set args = WScript.Arguments
Set o = GetObject(args(0))
WScript.Echo "name " & o.name
WScript.Echo "add " & o.add(2, 3)
Set t = o.typed
WScript.Echo "kind7 " & t.kind(7)
WScript.Echo "kindLong " & t.kind(CLng(70000))
WScript.Echo "kindString " & t.kind("s")
WScript.Echo "kindDouble " & t.kind(1.5)
WScript.Echo "kindBool " & t.kind(True)
WScript.Echo "kindNull " & t.kind(Null)
WScript.Echo "kindDate " & t.kind(#2020-01-02#)
v = 5
WScript.Echo "kindVariable " & t.kind(v)
WScript.Echo "same " & o.same(o.unicode)
arr = o.list()
' (Wine's VBScript Join stops the script without an error: the elements one by one.)
WScript.Echo "list " & arr(0) & "," & arr(1) & "," & arr(2) & " " & UBound(arr)
WScript.Echo "child " & o.child.name
On Error Resume Next
o.fail "the server refused"
WScript.Echo "error " & Err.Description
Err.Clear
o.nothere
WScript.Echo "missing " & Err.Number
Err.Clear
On Error Goto 0
Set c = CreateObject(args(1))
WScript.Echo "created " & c.add(40, 2)
WScript.Echo "instances " & o.instances
WScript.Echo "done"
