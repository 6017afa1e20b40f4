#!/usr/bin/env python3
"""
pod_diagnostic.py - Pod 자동 진단 도구
"""

import subprocess
import json
import sys
from datetime import datetime

class PodDiagnostic:
    def __init__(self, pod_name, namespace="default"):
        self.pod_name = pod_name
        self.namespace = namespace
        self.findings = []
    
    def get_pod_info(self):
        """Pod 기본 정보 수집"""
        try:
            result = subprocess.run([
                'kubectl', 'get', 'pod', self.pod_name, 
                '-n', self.namespace, '-o', 'json'
            ], capture_output=True, text=True)
            
            if result.returncode == 0:
                return json.loads(result.stdout)
            else:
                self.findings.append(f"❌ Pod not found: {self.pod_name}")
                return None
        except Exception as e:
            self.findings.append(f"❌ Failed to get pod info: {e}")
            return None
    
    def analyze_pod_status(self, pod_info):
        """Pod 상태 분석"""
        if not pod_info:
            return
        
        status = pod_info['status']
        phase = status.get('phase', 'Unknown')
        
        self.findings.append(f"Pod phase: {phase}")
        
        # 컨테이너 상태 확인
        container_statuses = status.get('containerStatuses', [])
        for container in container_statuses:
            name = container['name']
            ready = container['ready']
            restart_count = container['restartCount']
            
            self.findings.append(f"Container {name}: ready={ready}, restarts={restart_count}")
            
            # 종료 상태 확인
            if 'lastState' in container and 'terminated' in container['lastState']:
                terminated = container['lastState']['terminated']
                exit_code = terminated.get('exitCode', 'unknown')
                reason = terminated.get('reason', 'unknown')
                self.findings.append(f"  Last exit: code={exit_code}, reason={reason}")
    
    def check_events(self):
        """Pod 관련 이벤트 확인"""
        try:
            result = subprocess.run([
                'kubectl', 'get', 'events', '-n', self.namespace,
                '--field-selector', f'involvedObject.name={self.pod_name}',
                '--sort-by', '.lastTimestamp'
            ], capture_output=True, text=True)
            
            if result.returncode == 0 and result.stdout.strip():
                self.findings.append("Recent events:")
                for line in result.stdout.strip().split(', ')[1:]:  # 헤더 제외
                    self.findings.append(f"  {line}")
        except Exception as e:
            self.findings.append(f"⚠ Could not get events: {e}")
    
    def suggest_debug_commands(self, pod_info):
        """디버깅 명령어 추천"""
        if not pod_info:
            return
        
        node_name = pod_info['spec'].get('nodeName', 'unknown')
        
        self.findings.append(f", 🔧 Suggested debug commands:")
        self.findings.append(f"1. Check logs: kubectl logs {self.pod_name} -n {self.namespace}")
        self.findings.append(f"2. Describe pod: kubectl describe pod {self.pod_name} -n {self.namespace}")
        self.findings.append(f"3. Debug with ephemeral container: kubectl debug {self.pod_name} -n {self.namespace} -it --image=nicolaka/netshoot")
        
        if node_name != 'unknown':
            self.findings.append(f"4. Node shell access: node-shell.sh {node_name}")
            self.findings.append(f"5. Find process: ./find_pod_process.sh {self.pod_name}")
    
    def run_diagnosis(self):
        """전체 진단 실행"""
        print(f"=== Pod Diagnostic Report ===")
        print(f"Pod: {self.namespace}/{self.pod_name}")
        print(f"Time: {datetime.now().isoformat()}")
        print()
        
        pod_info = self.get_pod_info()
        self.analyze_pod_status(pod_info)
        self.check_events()
        self.suggest_debug_commands(pod_info)
        
        print("Findings:")
        for i, finding in enumerate(self.findings, 1):
            print(f"{i:2d}. {finding}")

if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("Usage: python3 pod_diagnostic.py <pod_name> [namespace]")
        sys.exit(1)
    
    pod_name = sys.argv[1]
    namespace = sys.argv[2] if len(sys.argv) > 2 else "default"
    
    diagnostic = PodDiagnostic(pod_name, namespace)
    diagnostic.run_diagnosis()
