/**
 * The status page served at `/`: one self-contained HTML document (no external assets) that
 * fetches /status.json every second and redraws its tables — instances (state, priorities, master,
 * VIPs, last transitions with their reasons), virtual and real servers with their checks (when the
 * LVS half runs), actors and hosts. Like HAProxy's stats page.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keepalived-ts status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:1em;color:#222;background:#fafafa}
h1{font-size:18px;margin:0 0 .3em}h2{font-size:15px;margin:1.2em 0 .3em}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#e8e8e8}
.MASTER{background:#b9f0b9}.BACKUP{background:#d8e6ff}.FAULT{background:#ffb3b3}.INIT,.STOP{background:#eee}
.running{background:#e6f7e6}.restarting,.starting{background:#fff3c4}.fault{background:#ffb3b3}
.UP{background:#b9f0b9}.DOWN{background:#ffb3b3}
.ok{color:#060}.bad{color:#a00;font-weight:bold}.muted{color:#777}
#meta span{margin-right:1.5em}
</style></head><body>
<h1>keepalived-ts</h1>
<div id="meta"><span id="health" class="muted">loading…</span><span id="updated" class="muted"></span></div>
<h2>VRRP instances</h2>
<table id="instances"><thead><tr><th>Instance</th><th>Interface</th><th>VRID</th><th>State</th><th>Priority</th><th>Effective</th><th>Master</th><th>VIPs</th><th>Last transitions</th></tr></thead><tbody></tbody></table>
<div id="lvs" hidden>
<h2>Virtual servers <span id="ipvs" class="muted"></span></h2>
<table id="vss"><thead><tr><th>Virtual server</th><th>Quorum</th><th>Real servers up</th></tr></thead><tbody></tbody></table>
<h2>Real servers</h2>
<table id="rss"><thead><tr><th>Virtual server</th><th>Real server</th><th>State</th><th>Weight</th><th>IPVS weight</th><th>Checkers (ok/fail/lost)</th><th>Last check</th><th>Why</th></tr></thead><tbody></tbody></table>
</div>
<h2>Actors</h2>
<table id="actors"><thead><tr><th>Actor</th><th>Kind</th><th>State</th><th>Host</th><th>Restarts</th><th>Hangs</th><th>Last error</th></tr></thead><tbody></tbody></table>
<h2>Hosts</h2>
<table id="hosts"><thead><tr><th>Host</th><th>Pool</th><th>Actors</th><th>Handled</th><th>Heap</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
function esc(s){return String(s==null?"":s).replace(/[&<>"']/g,function(c){return{"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]})}
function td(v,cls){return "<td"+(cls?' class="'+esc(cls)+'"':"")+">"+v+"</td>"}
function when(ms){return new Date(ms).toISOString().replace("T"," ").replace(/\\.\\d+Z$/,"Z")}
function fill(id,rows){document.querySelector("#"+id+" tbody").innerHTML=rows.join("")}
function draw(s){
  var v=s.view;
  var h=document.getElementById("health");
  h.textContent=s.health.ok?"healthy":"unhealthy: "+s.health.reasons.join("; ");
  h.className=s.health.ok?"ok":"bad";
  document.getElementById("updated").textContent="updated "+when(v.timeMs)+" · pid "+v.pid+" · main-loop lag "+Math.round(v.loopLagMs)+" ms";
  fill("instances",v.instances.map(function(i){
    var tr=i.transitions.slice(-3).reverse().map(function(t){return esc(when(t.atMs)+" "+t.from+"→"+t.to+" ("+t.reason+")")}).join("<br>");
    return '<tr data-instance="'+esc(i.name)+'">'+td(esc(i.name))+td(esc(i.interface))+td(i.vrid)+td(esc(i.state),"state "+i.state)+td(i.priority)+td(i.effectivePriority)+td(esc(i.master||"-"))+td(esc(i.vips.join(" "))+(i.vipsHeld?" <b>held</b>":""))+td(tr||'<span class="muted">-</span>')+"</tr>";
  }));
  var l=v.lvs;
  document.getElementById("lvs").hidden=!l;
  if(l){
    document.getElementById("ipvs").textContent="(IPVS "+l.ipvs+")";
    fill("vss",l.virtualServers.map(function(x){var q=x.quorumUp?"UP":"DOWN";return '<tr data-vs="'+esc(x.vs)+'">'+td(esc(x.vs))+td(q,q)+td(x.up+"/"+x.realServers)+"</tr>"}));
    fill("rss",l.realServers.map(function(r){
      var st=r.up?"UP":"DOWN";
      var c=r.checkers.filter(function(x){return !x.up})[0]||r.checkers.filter(function(x){return x.lastOk!==null})[0];
      var ck=r.checkers.map(function(x){return esc(x.name+" "+x.success+"/"+x.failure+"/"+x.lost)}).join("<br>");
      return '<tr data-rs="'+esc(r.vs+" "+r.rs)+'">'+td(esc(r.vs))+td(esc(r.rs))+td(st,st)+td(r.weight)+td(r.tableWeight===null?"-":r.tableWeight)+td(ck||"-")+td(c&&c.lastMs!==null?c.lastMs.toFixed(1)+" ms":"-")+td(esc(c?c.lastReason:""))+"</tr>";
    }));
  }
  fill("actors",v.actors.map(function(a){
    var r=Object.keys(a.restartsByReason).map(function(k){return k+"="+a.restartsByReason[k]}).join(" ");
    return '<tr data-actor="'+esc(a.id)+'">'+td(esc(a.id))+td(esc(a.kind))+td(esc(a.givenUp?"given up":a.state),a.state)+td(esc(a.host||"-"))+td(a.restarts+(r?" ("+esc(r)+")":""))+td(a.hangs)+td(esc(a.lastError||""))+"</tr>";
  }));
  fill("hosts",v.hosts.map(function(x){return "<tr>"+td(esc(x.id))+td(esc(x.pool))+td(x.actors)+td(x.handled)+td((x.heapUsed/1048576).toFixed(1)+" MB")+"</tr>"}));
}
function tick(){
  fetch("status.json",{cache:"no-store"}).then(function(r){return r.json()}).then(draw).catch(function(e){
    var h=document.getElementById("health");h.textContent="no answer: "+e;h.className="bad";
  }).finally(function(){setTimeout(tick,1000)});
}
tick();
</script></body></html>
`;
